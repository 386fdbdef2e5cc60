"""Similarity histograms in the style of the paper's Figs. 7 and 8: impostor, genuine and reconstruction
score densities with the FAR thresholds marked, one panel for type I and one for type II."""

import numpy as np

from tf_reconstruct.metrics.verification import density_histogram
from tf_reconstruct.plots.figure_file import plt, save_figure

# Bins and axis label per similarity (metrics/verification.SIMILARITIES); dlib's distances rarely exceed 1.6.
AXES = {"cosine": (np.linspace(-0.4, 1.0, 71), "cosine similarity"),
        "negative_euclidean": (np.linspace(-1.6, 0.0, 81), "minus Euclidean distance")}


def save_histograms(path, title, impostor, genuine, type_one, type_two, thresholds, similarity="cosine"):
    """Writes one PNG with two panels; `thresholds` is [(FAR fraction, threshold)]."""
    bin_edges, axis_label = AXES[similarity]
    figure, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
    centres = (bin_edges[:-1] + bin_edges[1:]) / 2
    for axis, (label, attack) in zip(axes, (("type I", type_one), ("type II", type_two))):
        # The paper's colours: impostor yellow, genuine blue, reconstructions red.
        for scores, name, colour in ((impostor, "impostor", "goldenrod"), (genuine, "genuine", "tab:blue"),
                                     (attack, f"reconstructed ({label})", "tab:red")):
            finite = np.asarray(scores)[np.isfinite(scores)]
            if finite.size:
                axis.plot(centres, density_histogram(finite, bin_edges), color=colour, label=f"{name} (n={finite.size})")
                axis.fill_between(centres, density_histogram(finite, bin_edges), color=colour, alpha=0.15)
        for far, threshold in thresholds:
            axis.axvline(threshold, color="grey", linestyle=":", linewidth=1)
            axis.text(threshold, axis.get_ylim()[1] * 0.95, f"{100 * far:g}%", rotation=90, fontsize=7,
                      ha="right", va="top", color="grey")
        axis.set_xlabel(axis_label)
        axis.set_title(f"{title}: {label}")
        axis.legend(fontsize=7, loc="upper left")
    axes[0].set_ylabel("density")
    figure.tight_layout()
    save_figure(figure, path)
