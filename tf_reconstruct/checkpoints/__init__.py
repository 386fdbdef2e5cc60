"""The fetch step: download, verify, extract and convert the pretrained models into checkpoints/."""
