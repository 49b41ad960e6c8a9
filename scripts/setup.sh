#!/usr/bin/env bash
# Set up thaigen from nothing on a Debian/Ubuntu machine with Python 3.11+: system packages
# (FriBiDi for Pillow's raqm layout, Tesseract Thai as a baseline engine), a virtualenv in .venv,
# and thaigen installed into it (editable).
#   bash scripts/setup.sh          the generator only
#   bash scripts/setup.sh train    + trainers (PaddlePaddle CPU, paddle2onnx, onnxruntime, boto3)
#   bash scripts/setup.sh test     + trainers + test tools (pytest, moto server, HarfBuzz reference, Pango,
#                                  Chromium, ghostscript, ImageMagick and non-shipped Thai fonts for bench/meter.py)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-}"
packages=(libfribidi0)
case "$mode" in
    train) packages+=(tesseract-ocr tesseract-ocr-tha); extras="[train]" ;;
    # test: + the data-quality meter's other renderers and fonts thaigen does not ship (bench/meter.py)
    # (ghostscript and ImageMagick print and scan the meter's scanned-documents lines: bench/scanned.py)
    test) packages+=(tesseract-ocr tesseract-ocr-tha pango1.0-tools git chromium-headless-shell ghostscript imagemagick
                     fonts-arundina fonts-tlwg-typo-ttf fonts-tlwg-typewriter-ttf); extras="[train,test,webdataset,hf,torch]" ;;
    "") extras="" ;;
    *) echo "usage: bash scripts/setup.sh [train|test]" >&2; exit 2 ;;
esac
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".${extras}"
if [ "$mode" = test ]; then
    # PaddleOCR's own data loaders (ppocr/data) for the cross-check tests: the 2.10 wheel carries them;
    # kept in a side folder, without its dependencies, so it never shadows anything in .venv.
    side="$HOME/.cache/thaigen/paddleocr-2.10.0"
    [ -d "$side/paddleocr/ppocr" ] || .venv/bin/python -m pip install -q --no-deps --target "$side" paddleocr==2.10.0
fi
.venv/bin/python -c "from thaigen.typeset.render import require_raqm; require_raqm()"
