"""Strength against time: each method's type II TAR under each judge against its seconds per face (issue 35).

    plot_strength_time(rows, judges, path): rows as speed_strength.table_rows (one point per method and run)
"""

import numpy as np

from tf_reconstruct.plots.figure_file import plt, save_figure

MARKERS = "osD^v<>"


def plot_strength_time(rows, judges, path, title="Strength against time"):
    """One panel per judge: type II TAR % (y) against s / face (x, log), a marker per run, a label per method."""
    runs = list(dict.fromkeys(row["run"] for row in rows))
    figure, axes = plt.subplots(1, len(judges), figsize=(6.2 * len(judges), 4.8), squeeze=False)
    for axis, judge in zip(axes[0], judges):
        for index, run in enumerate(runs):
            points = [row for row in rows if row["run"] == run and np.isfinite(row["seconds"])
                      and np.isfinite(row[f"{judge} II"])]
            axis.scatter([row["seconds"] for row in points], [row[f"{judge} II"] for row in points],
                         marker=MARKERS[index % len(MARKERS)], s=46, label=run)
            for row in points:
                axis.annotate(row["method"], (row["seconds"], row[f"{judge} II"]), fontsize=7,
                              xytext=(4, 3), textcoords="offset points")
        axis.set_xscale("log")
        axis.set_xlabel("s / face (wall, 2 cores)")
        axis.set_ylabel(f"type II TAR % at FAR 0.1%, {judge}")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8, loc="best")
    figure.suptitle(title)
    figure.tight_layout()
    save_figure(figure, path)
