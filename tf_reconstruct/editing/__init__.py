"""Semantic editing in the generator's W / W+ space (issue 20): labelled samples, InterfaceGAN boundaries,
edits, normalised faces and real-photo inversion."""
