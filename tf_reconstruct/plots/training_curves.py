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


def save_training_and_validation(path, losses, validation, anchor, title, window=50):
    """Two panels: the training loss {label: (steps, values)} as running means, and the validation
    (steps, values) with its best point marked and `anchor` (Telea's value, or None) as a line."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for label, (steps, values) in losses.items():
        smooth = running_mean(values, window)
        left.plot(np.asarray(steps)[len(steps) - len(smooth):], smooth, label=label)
    left.set_xlabel("step")
    left.set_ylabel(f"training loss (running mean of {window})")
    left.legend()
    steps, values = (np.asarray(part, np.float64) for part in validation)
    if len(steps):
        right.plot(steps, values, marker="o")
        best = int(np.argmin(values))
        right.scatter([steps[best]], [values[best]], s=120, facecolors="none", edgecolors="red",
                      label=f"best: {values[best]:.4f} at step {int(steps[best])}")
    if anchor is not None:
        right.axhline(anchor, color="grey", linestyle="--", label=f"Telea: {anchor:.4f}")
    if len(steps) or anchor is not None:
        right.legend()
    right.set_xlabel("step")
    right.set_ylabel("validation hole L1 ([-1, 1] units)")
    figure.suptitle(title)
    figure.tight_layout()
    save_figure(figure, path)
