"""Face datasets, each yielding (identity, image id, RGB uint8 image)."""
