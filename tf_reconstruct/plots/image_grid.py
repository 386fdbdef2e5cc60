"""Image grids saved as PNG."""


import cv2
import numpy as np

from tf_reconstruct import atomic_files


def make_grid(images, columns, tile_size):
    """Tiles uint8 RGB images [N, H, W, 3] into one [rows * tile, columns * tile, 3] uint8 image (area-resized)."""
    images = [cv2.resize(np.asarray(image), (tile_size, tile_size), interpolation=cv2.INTER_AREA) for image in images]
    rows = -(-len(images) // columns)
    grid = np.zeros((rows * tile_size, columns * tile_size, 3), np.uint8)
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        grid[row * tile_size:(row + 1) * tile_size, column * tile_size:(column + 1) * tile_size] = image
    return grid


def save_png(image, path):
    """Writes an RGB uint8 image atomically (temp file, then rename)."""
    with atomic_files.replacing(path) as temporary:
        if not cv2.imwrite(str(temporary), cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
            raise OSError(f"could not write {path}")
