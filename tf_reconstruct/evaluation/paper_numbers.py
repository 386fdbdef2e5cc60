"""The paper's published Tables 1 and 2 (Miao et al. 2023; ../shared/PAPER.md), for side-by-side reports.

Rows: (FAR %, threshold, normal TAR %, type I TAR %, type II TAR %). Table 1: attacked and evaluated
with ArcFace-Inception; Table 2: attacked with Inception, evaluated with ArcFace-Xception.
"""

TABLE1 = {
    "lfw": [(0, 0.5316, 79.77, 100, 64.00), (0.1, 0.4382, 98.12, 100, 96.04),
            (1, 0.4000, 99.42, 100, 99.17), (10, 0.3522, 99.86, 100, 99.72)],
    "colorferet": [(0, 0.5280, 99.46, 100, 98.92), (0.1, 0.4655, 100, 100, 100),
                   (1, 0.4239, 100, 100, 100), (10, 0.3712, 100, 100, 100)],
}
TABLE2 = {
    "lfw": [(0, 0.4933, 91.90, 40, 23.11), (0.1, 0.4463, 97.76, 74, 48.71),
            (1, 0.4018, 99.41, 92, 76.24), (10, 0.3522, 99.90, 100, 96.96)],
    "colorferet": [(0, 0.5078, 99.64, 54, 43.55), (0.1, 0.4819, 99.82, 70, 58.06),
                   (1, 0.4300, 100, 90, 86.56), (10, 0.3738, 100, 100, 99.46)],
}


def side_by_side(ours, paper):
    """Rows with our and the paper's values per FAR: ours is [table row dicts], paper is [(FAR, ...)] ."""
    by_far = {row[0]: row for row in paper}
    rows = []
    for row in ours:
        theirs = by_far.get(round(row["FAR %"], 6))
        rows.append({"FAR %": row["FAR %"],
                     "threshold (ours / paper)": f"{row['threshold']:.4f} / {theirs[1]:.4f}" if theirs else "",
                     "normal TAR % (ours / paper)": f"{row['normal TAR %']:.2f} / {theirs[2]:.2f}" if theirs else "",
                     "type I TAR % (ours / paper)": (f"{row.get('type I TAR %', float('nan')):.2f} / {theirs[3]:.2f}"
                                                     if theirs else ""),
                     "type II TAR % (ours / paper)": (f"{row.get('type II TAR %', float('nan')):.2f} / {theirs[4]:.2f}"
                                                      if theirs else "")})
    return rows
