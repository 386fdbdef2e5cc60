"""Weight converters: read a pretrained model in its original format and fill the matching Keras model.

Each converter lives apart from the architecture it fills and fails on any weight that is unmatched,
unfilled or mis-shaped (see weight_table.assign).
"""
