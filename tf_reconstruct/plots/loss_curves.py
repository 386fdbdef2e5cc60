"""Loss curves of several optimisation modes on the same templates (one thin line per template)."""

import numpy as np

from tf_reconstruct.plots.figure_file import plt, save_figure

COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")


def save_loss_curves(path, curves_by_mode, title):
    """`curves_by_mode`: {label: [per-template loss lists]}; writes a log-scale PNG."""
    figure, axis = plt.subplots(figsize=(7, 4))
    for colour, (label, curves) in zip(COLOURS, curves_by_mode.items()):
        for index, curve in enumerate(curves):
            axis.plot(np.arange(1, len(curve) + 1), curve, color=colour, alpha=0.35, linewidth=0.8,
                      label=f"{label} ({len(curves)} templates)" if index == 0 else None)
    axis.set_yscale("log")
    axis.set_xlabel("step")
    axis.set_ylabel("loss (MSE of raw features)")
    axis.set_title(title)
    axis.legend()
    figure.tight_layout()
    save_figure(figure, path)
