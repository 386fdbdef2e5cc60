"""Saving a matplotlib figure atomically (temporary file, then rename) and closing it."""

import os
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def save_figure(figure, path, dpi=110):
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.stem + ".partial" + path.suffix)
    figure.savefig(temporary, dpi=dpi)
    plt.close(figure)
    os.replace(temporary, path)
