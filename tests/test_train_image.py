"""The SageMaker training image pins the same PaddleOCR commit and Paddle version as the code it runs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from trainers.paddleocr import source as paddle_source

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "trainers" / "jobs" / "Dockerfile").read_text(encoding="utf-8")


def test_image_checks_the_pinned_paddleocr_commit() -> None:
    assert f'= "{paddle_source.PINNED_COMMIT}"' in DOCKERFILE
    assert "python -m thaigen paddleocr-source --dest" in DOCKERFILE


def test_image_installs_the_gpu_build_of_the_pinned_paddle() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    pinned = next(req for req in extras["train"] if req.startswith("paddlepaddle=="))
    match = re.search(r"ARG PADDLE_VERSION=(\S+)", DOCKERFILE)
    assert match and pinned == f"paddlepaddle=={match.group(1)}"
    assert 'pip install --no-cache-dir "paddlepaddle-gpu==${PADDLE_VERSION}" -i' in DOCKERFILE
    assert 'ENTRYPOINT ["python", "-m", "trainers.jobs.entrypoint"]' in DOCKERFILE
