"""Print-and-scan statistics of line images, to calibrate thaigen's presets against scans made outside thaigen.

    python bench/scan_stats.py FOLDER [FOLDER ...] [--limit 300]

Each FOLDER is a rec set (train.txt and/or val.txt beside its images): a thaigen build, or the meter's
eval-scanned/ (bench/scanned.py). Every line is brought to 48 px high (thaigen's line height; INTER_AREA, as a
model's resize averages a 300-dpi scan) and measured on its dark pixels (gray < 128):

- ink fill: share of the line's pixels that are ink;
- stroke px: stroke width, 2 x ink area / ink perimeter;
- ragged: ink perimeter over the perimeter of the same ink smoothed (Gaussian sigma 1, re-thresholded): 1 for
  clean edges, more where a threshold left a staircase or toner a frayed edge;
- specks: ink components of at most 2 px per 10,000 px;
- 1-bit: share of pixels at the extremes (gray < 32 or > 223), near 1 for a 1-bit scan;
- contrast: median of the paper less median of the ink, gray levels.

Prints the median and the interquartile range per folder (a few lines with extreme values would swamp a mean).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from thaigen.dataset import paths
from thaigen.dataset.labels import read_labels

HEIGHT = 48
STATS = ("ink fill", "stroke px", "ragged", "specks", "1-bit", "contrast")


def _perimeter(mask: np.ndarray) -> int:
    return int((mask & ~cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)).sum())


def line_stats(gray: np.ndarray) -> dict[str, float]:
    """The statistics of one gray line image (any size)."""
    width = max(1, round(gray.shape[1] * HEIGHT / gray.shape[0]))
    gray = cv2.resize(gray, (width, HEIGHT), interpolation=cv2.INTER_AREA)
    ink = gray < 128
    if np.median(gray) < 128:  # light text on a dark ground: measure its text as ink
        ink, gray = ~ink, 255 - gray
    area, perimeter = int(ink.sum()), max(1, _perimeter(ink))
    smooth = cv2.GaussianBlur(ink.astype(np.float32), (0, 0), 1.0) >= 0.5
    count, _, components, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    specks = int((components[1:, cv2.CC_STAT_AREA] <= 2).sum()) if count > 1 else 0
    return {
        "ink fill": area / ink.size,
        "stroke px": 2 * area / perimeter,
        "ragged": perimeter / max(1, _perimeter(smooth)),
        "specks": specks * 10_000 / ink.size,
        "1-bit": float(((gray < 32) | (gray > 223)).mean()),
        "contrast": float(np.median(gray[~ink]) - np.median(gray[ink])) if area and (~ink).any() else 0.0,
    }


def folder_stats(folder: Path, limit: int) -> dict[str, tuple[float, float]]:
    """Median and interquartile range of each statistic over up to `limit` lines of a rec set."""
    rows = []
    for name in (paths.TRAIN_LABELS, paths.VAL_LABELS):
        if (folder / name).is_file():
            for line in read_labels(folder / name):
                if len(rows) == limit:
                    break
                gray = cv2.imread(str(folder / line.path), cv2.IMREAD_GRAYSCALE)
                if gray is None:
                    raise SystemExit(f"not an image: {folder / line.path}")
                rows.append(line_stats(gray))
    if not rows:
        raise SystemExit(f"no lines in {folder} (train.txt or val.txt)")
    quartiles = {k: np.percentile([r[k] for r in rows], [25, 50, 75]) for k in STATS}
    return {k: (float(q[1]), float(q[2] - q[0])) for k, q in quartiles.items()}


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", type=Path, nargs="+")
    parser.add_argument("--limit", type=int, default=300, help="lines measured per folder")
    args = parser.parse_args()
    print(f"{'folder':28s}" + "".join(f"{s:>17s}" for s in STATS))
    for folder in args.folders:
        stats = folder_stats(folder, args.limit)
        print(f"{folder.name[:28]:28s}" + "".join(f"{m:9.3f} iqr{iqr:5.2f}" for m, iqr in stats.values()))


if __name__ == "__main__":
    main()
