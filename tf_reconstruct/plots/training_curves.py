"""Training curves of several runs on one axis, smoothed by a running mean (one line per run)."""

import numpy as np

from tf_reconstruct.plots.figure_file import plt, save_figure


def running_mean(values, window):
    """Mean of each value and the window - 1 before it ([len(values) - window + 1])."""
    values = np.asarray(values, np.float64)
    window = max(1, min(window, len(values)))
    sums = np.cumsum(np.concatenate([[0.0], values]))
    return (sums[window:] - sums[:-window]) / window


def save_training_curves(path, curves, ylabel, title, window=50):
    """`curves`: {label: (steps, values)}; writes a PNG of each run's running mean."""
    figure, axis = plt.subplots(figsize=(7, 4))
    for label, (steps, values) in curves.items():
        smooth = running_mean(values, window)
        axis.plot(np.asarray(steps)[len(steps) - len(smooth):], smooth, label=label)
    axis.set_xlabel("step")
    axis.set_ylabel(f"{ylabel} (running mean of {window})")
    axis.set_title(title)
    axis.legend()
    figure.tight_layout()
    save_figure(figure, path)
