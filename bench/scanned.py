"""The meter's scanned-documents lines, made outside thaigen: long Thai prose lines typeset by pango-view into a
PDF, printed and scanned by ghostscript (rasterised at 200 or 300 dpi) and ImageMagick (ink spread or erosion, toner
specks, scanner blur, sensor noise, skew under a degree, photocopy generations, then the scanner's own output: a
1-bit image by a global or a local adaptive threshold, or a gray JPEG), cut at the ink.

Texts come from bench/texts/prose_th.txt (office letters, notices, reports, news written for the meter; no thaigen
source reads it), cut at pythainlp word boundaries into lines of 10-90 code points, most 40-85, as a body column
of an A4 page holds them. Faces are the meter's evaluation faces, which thaigen never trains on.

Needs pango-view, ghostscript and ImageMagick 6 (`bash scripts/setup.sh test`).
"""

from __future__ import annotations

import shutil
import subprocess
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from pythainlp.tokenize import word_tokenize

PROSE = Path(__file__).parent / "texts" / "prose_th.txt"
DPI = (200, 300)
"""Office scanner resolutions."""
SPECK_PX = 12
"""Ink blobs of at most this many pixels at 300 dpi are specks, not text (a 12-pt tone mark is 30 or more)."""
MIN_INK, MAX_INK = 0.6, 1.8
"""Ink of the scan against the clean raster within which the line stays legible (checked on every line)."""
POINT_SIZES = (12, 14, 16)
"""Body sizes of Thai office documents (TH Sarabun-like faces are set large: 14-16 pt)."""


@dataclass(frozen=True)
class ScanPlan:
    """How one line is printed and scanned (recorded beside it in samples.jsonl)."""

    dpi: int
    points: int
    ink: str
    """'spread' (toner dilates strokes), 'eroded' (a light print thins them) or 'plain'."""
    blur: float
    noise: float
    skew: float
    generations: int
    """1 for a scan of the print, 2-3 for photocopies of photocopies."""
    output: str
    """'threshold' (global, 1-bit), 'adaptive' (ImageMagick -lat, 1-bit) or 'jpeg' (gray, scanner quality)."""
    level: int
    """The threshold in percent, the adaptive offset in percent, or the JPEG quality."""


def imagemagick() -> str:
    """ImageMagick's convert (Debian names the 6.x binary convert-im6.q16; `magick` for 7.x)."""
    for name in ("convert-im6.q16", "magick", "convert"):
        if found := shutil.which(name):
            return found
    raise SystemExit("ImageMagick not found: bash scripts/setup.sh test installs it")


def prose_lines(count: int, rng: np.random.Generator) -> list[str]:
    """`count` lines cut from the prose at word boundaries: 10% short (10-40 code points), the rest 40-85."""
    paragraphs = [
        line.strip()
        for line in PROSE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    tokens = [word_tokenize(p, engine="newmm", keep_whitespace=True) for p in paragraphs]
    lines: list[str] = []
    while len(lines) < count:
        words = tokens[int(rng.integers(len(tokens)))]
        start = int(rng.integers(len(words) // 2))
        target = int(rng.integers(10, 41)) if rng.random() < 0.1 else int(rng.integers(40, 86))
        line = ""
        for word in words[start:]:
            if len(line) + len(word) > target and len(line) >= 10:
                break
            line += word
        line = " ".join(line.split())
        if len(line) >= 10:
            lines.append(line)
    return lines


def plan(rng: np.random.Generator) -> ScanPlan:
    """Draw one line's print-and-scan settings."""
    output = ("threshold", "adaptive", "jpeg")[int(rng.choice(3, p=(0.45, 0.25, 0.3)))]
    level = {"threshold": int(rng.integers(45, 66)), "adaptive": int(rng.integers(3, 9)),
             "jpeg": int(rng.integers(55, 86))}[output]  # fmt: skip
    return ScanPlan(
        dpi=int(rng.choice(DPI)),
        points=int(rng.choice(POINT_SIZES)),
        ink=("plain", "spread", "eroded")[int(rng.choice(3, p=(0.5, 0.3, 0.2)))],
        blur=round(float(rng.uniform(0.5, 1.2)), 2),
        noise=round(float(rng.uniform(0.05, 0.3)), 2),
        skew=round(float(rng.uniform(-0.8, 0.8)), 2),
        generations=1 if rng.random() < 0.75 else int(rng.integers(2, 4)),
        output=output,
        level=level,
    )


def _degrade_args(scan: ScanPlan, specks: int) -> list[str]:
    """ImageMagick operations for the print, each scan generation and the saved output."""
    args = ["-colorspace", "Gray"]
    if scan.ink != "plain":  # toner spreads (a dark threshold of the blurred print) or a light print thins strokes
        args += ["-blur", f"0x{scan.dpi / 300:.2f}", "-threshold", "68%" if scan.ink == "spread" else "38%"]
    args += ["-attenuate", "0.05", "+noise", "Impulse"] if specks else []
    for generation in range(scan.generations):
        args += ["-blur", f"0x{scan.blur}", "-attenuate", str(scan.noise), "+noise", "Gaussian"]
        if generation < scan.generations - 1:
            args += ["-threshold", "55%"]  # the copier prints black and white again
    args += ["-background", "white", "-rotate", str(scan.skew)]
    if scan.output == "threshold":
        args += ["-threshold", f"{scan.level}%", "-type", "bilevel"]
    elif scan.output == "adaptive":
        window = 31 if scan.dpi == 300 else 21
        args += ["-lat", f"{window}x{window}-{scan.level}%", "-type", "bilevel"]
    else:
        args += ["-quality", str(scan.level)]
    return args


def _ink(image: Image.Image) -> int:
    return int((np.asarray(image.convert("L")) < 128).sum())


def scan_line(text: str, font: str, scan: ScanPlan, work: Path, rng: np.random.Generator) -> Image.Image | None:
    """Typeset `text` with pango-view into a PDF, rasterise it with ghostscript, degrade and save with ImageMagick;
    None when the scan lost or gained so much ink that it no longer shows its text (the caller draws another plan)."""
    pdf, raster = work / "line.pdf", work / "line.png"
    out = work / ("scan.jpg" if scan.output == "jpeg" else "scan.png")
    subprocess.run(["pango-view", f"--font={font} {scan.points}", f"--text={text}", "--dpi=72", "--margin=18",
                    "-q", "-o", str(pdf)], check=True, capture_output=True)  # fmt: skip
    subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pnggray", f"-r{scan.dpi}",
                    "-dTextAlphaBits=4", "-dGraphicsAlphaBits=4", f"-sOutputFile={raster}", str(pdf)],
                   check=True, capture_output=True)  # fmt: skip
    specks = int(rng.random() < 0.4)
    seed = ["-seed", str(zlib.crc32(f"{text}|{font}|{scan}|{specks}".encode()))]  # ImageMagick's noise, reproducible
    subprocess.run(
        [imagemagick(), *seed, str(raster), *_degrade_args(scan, specks), str(out)], check=True, capture_output=True
    )
    with Image.open(raster) as clean, Image.open(out) as image:
        ink = _ink(image) / max(1, _ink(clean))
        return image.convert("L") if MIN_INK <= ink <= MAX_INK else None


def cut_at_ink(image: Image.Image, rng: np.random.Generator, speck_px: int = 0) -> Image.Image:
    """The line cut at its ink with a 2-8 px margin on each side (the look of a detector's crop); ink blobs of at
    most `speck_px` pixels (a scan's specks, which a detector does not box) do not widen the cut."""
    gray = np.asarray(image.convert("L"))
    ink = (gray < 200).astype(np.uint8)
    if speck_px:
        count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
        keep = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] > speck_px)
        ink = np.isin(labels, keep[keep > 0]).astype(np.uint8) if count > 1 and keep.size > 1 else ink
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    margins = rng.integers(2, 9, size=4)
    top, bottom = max(0, rows[0] - margins[0]), min(gray.shape[0], rows[-1] + 1 + margins[1])
    left, right = max(0, columns[0] - margins[2]), min(gray.shape[1], columns[-1] + 1 + margins[3])
    return image.convert("RGB").crop((int(left), int(top), int(right), int(bottom)))


def record(scan: ScanPlan) -> dict[str, object]:
    """The plan as a samples.jsonl field."""
    return asdict(scan)
