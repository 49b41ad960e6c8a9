"""The tiny trained recognizer, built once per test session (about a minute on 2 cores).

Test modules import the fixture, `from model_fixtures import tiny_models_fixture  # noqa: F401`, and take
a `tiny_models` argument. Imported into
several modules, pytest would set it up once per module, so the models are kept in a module-level
cache and built only the first time.
"""

from __future__ import annotations

import pytest
from tiny_model import TinyModels, build_tiny_models

_built: list[TinyModels] = []


@pytest.fixture(scope="session", name="tiny_models")
def tiny_models_fixture(tmp_path_factory: pytest.TempPathFactory) -> TinyModels:
    """A digits dataset and the tiny CTC recognizer trained on it, exported as 3.x, 2.x and ONNX folders."""
    if not _built:
        _built.append(build_tiny_models(tmp_path_factory.mktemp("tiny-models")))
    return _built[0]
