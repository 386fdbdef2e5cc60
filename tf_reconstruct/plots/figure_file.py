"""Saving a matplotlib figure atomically (temporary file, then rename) and closing it."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from tf_reconstruct import atomic_files  # noqa: E402


def save_figure(figure, path, dpi=110):
    try:
        with atomic_files.replacing(path) as temporary:
            figure.savefig(temporary, dpi=dpi)
    finally:
        plt.close(figure)
