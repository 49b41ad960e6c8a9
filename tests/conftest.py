"""Shared fixtures: the real shipped font pool, small real configs and datasets, PaddleOCR's own code."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from thaigen.config.loading import make_config
from thaigen.config.schema import FontsConfig, GenConfig
from thaigen.pipeline.build import build
from thaigen.typeset.fonts import FontPool, load_pool


@pytest.fixture(scope="session")
def pool() -> FontPool:
    """Every shipped font, scanned once for the session."""
    return load_pool(FontsConfig())


@pytest.fixture
def small_config() -> GenConfig:
    """The default recipe, 150 samples: enough for several chunks."""
    return make_config(count=150, seed=7)


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, int, int], Path]:
    """Build a real dataset for (recipe, count, seed) once per session and return its folder."""
    built: dict[tuple[str, int, int], Path] = {}

    def make(recipe: str, count: int, seed: int) -> Path:
        key = (recipe, count, seed)
        if key not in built:
            built[key] = tmp_path_factory.mktemp(recipe) / "dataset"
            build(make_config(recipe=recipe, count=count, seed=seed), built[key], workers=1, progress=False)
        return built[key]

    return make


WHEEL_DIR = Path(os.environ.get("THAIGEN_PPOCR_WHEEL", Path.home() / ".cache/thaigen/paddleocr-2.10.0")) / "paddleocr"


def ppocr_root() -> Path | None:
    """Where `import ppocr` should come from: the full source if configured, else the 2.x wheel."""
    from thaigen.errors import EnvironmentProblem
    from trainers.paddleocr import source as paddle_source

    try:
        return paddle_source.locate()
    except EnvironmentProblem:
        return WHEEL_DIR if (WHEEL_DIR / "ppocr" / "data" / "simple_dataset.py").is_file() else None


@pytest.fixture(scope="session")
def source() -> Path:
    """PaddleOCR v3.0.0's training source, for tests that run its tools (skips when there is none)."""
    from thaigen.errors import EnvironmentProblem
    from trainers.paddleocr import source as paddle_source

    try:
        return paddle_source.locate()
    except EnvironmentProblem as problem:
        pytest.skip(f"needs PaddleOCR v3.0.0 source: {problem}")


@pytest.fixture(scope="session")
def ppocr() -> Iterator[Path]:
    """PaddleOCR's code importable as `ppocr` / `tools` for the session (skips when there is none)."""
    root = ppocr_root()
    if root is None:
        pytest.skip(f"no PaddleOCR code: set PADDLEOCR_SRC or unpack paddleocr==2.10.0 into {WHEEL_DIR.parent}")
    patch = pytest.MonkeyPatch()
    patch.syspath_prepend(str(root))
    yield root
    patch.undo()


FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
}
"""The standard credential chain, fed fake keys from the environment only (no profile of the machine's user)."""


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """moto in server mode on a free loopback port for the session (real boto3 clients over HTTP, nothing
    patched); its URL. AWS credentials for the session come from FAKE_AWS_ENV."""
    from moto.server import ThreadedMotoServer

    patch = pytest.MonkeyPatch()
    for key, value in FAKE_AWS_ENV.items():
        patch.setenv(key, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
    patch.undo()
