"""Face-parsing maps drawn for people: each region in its own colour, beside the face, with a legend.

    colourise(labels [H, W] int, palette [R, 3] uint8) -> [H, W, 3] uint8
    save_parsing_figure(faces [N, S, S, 3] uint8, labels [N, S, S], names, regions, path): N faces in
        pairs (face, map over a faded face), the legend naming every region
"""

import numpy as np

from tf_reconstruct.plots.figure_file import plt, save_figure

# One colour per region, far apart for the small ones (brows, eyes, lips, mouth).
PALETTE = np.array([[0, 0, 0], [70, 90, 200], [120, 70, 30], [240, 200, 160], [230, 120, 40], [40, 160, 40],
                    [150, 230, 90], [0, 200, 230], [30, 90, 255], [220, 20, 60], [250, 250, 20]], np.uint8)


def colourise(labels, palette=PALETTE):
    labels = np.asarray(labels)
    if labels.min() < 0 or labels.max() >= len(palette):
        raise ValueError(f"labels run from {labels.min()} to {labels.max()}; the palette has {len(palette)} colours")
    return palette[labels]


def save_parsing_figure(faces, labels, names, regions, path, columns=4):
    rows = -(-len(faces) // columns)
    figure, axes = plt.subplots(rows, 2 * columns, figsize=(2.0 * 2 * columns, 2.1 * rows + 0.8), squeeze=False)
    for axis in axes.ravel():
        axis.axis("off")
    for index, (face, label, name) in enumerate(zip(faces, labels, names)):
        row, column = divmod(index, columns)
        overlay = (0.35 * face + 0.65 * colourise(label)).astype(np.uint8)   # the face faintly under its map
        axes[row, 2 * column].imshow(face)
        axes[row, 2 * column].set_title(name.split("/")[-1][:22], fontsize=7)
        axes[row, 2 * column + 1].imshow(overlay)
    handles = [plt.Rectangle((0, 0), 1, 1, color=PALETTE[i] / 255.0) for i in range(len(regions))]
    figure.legend(handles, regions, loc="lower center", ncol=len(regions), fontsize=7, frameon=False)
    figure.tight_layout(rect=(0, 0.06, 1, 1))
    save_figure(figure, path)
