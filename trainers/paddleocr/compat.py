"""Run one of PaddleOCR v3.0.0's tools with a fix for what NumPy 2.4 broke in its DB data pipeline.

    python -m trainers.paddleocr.compat PADDLEOCR_SOURCE tools/train.py -c config.yml

NumPy 2.4 made `int()` of a one-element 1-D array a TypeError. EastRandomCropData's
`region_wise_random_select` (ppocr/data/imaug/random_crop_data.py) does exactly that whenever a page
has more than one text region along an axis, so every multi-line page fails and SimpleDataSet keeps
swapping in other pages that fail too. The replacement below takes the element instead and draws the
same random numbers, so training is what v3.0.0 does under NumPy 1.x.
"""

from __future__ import annotations

import runpy
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def region_wise_random_select(regions: Sequence[np.ndarray], max_size: int) -> tuple[int, int]:
    """PaddleOCR's region_wise_random_select without the 1-D-array-to-int conversion."""
    selected = [int(np.random.choice(regions[index], size=1)[0]) for index in np.random.choice(len(regions), 2)]
    return min(selected), max(selected)


def patch_paddleocr() -> None:
    """Replace the broken function in PaddleOCR's module (its source must be importable as `ppocr`)."""
    from ppocr.data.imaug import random_crop_data

    random_crop_data.region_wise_random_select = region_wise_random_select


def command(source: Path, script: str, *args: str) -> list[str]:
    """Command line running PaddleOCR's `tools/<script>` through this module (run it with cwd=source)."""
    return [sys.executable, "-m", __name__, str(source), str(source / "tools" / script), *args]


def main(argv: Sequence[str]) -> None:
    """Patch PaddleOCR, then run the script as `python SCRIPT ARGS...` would."""
    source, script, *args = argv
    sys.path.insert(0, source)  # as the tools do for themselves: `import ppocr` from the source tree
    patch_paddleocr()
    sys.argv = [script, *args]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
