"""Config fuzzing: whatever YAML a user writes, `thaigen build` builds or says what is wrong in one line.

Configs start from valid values drawn from the GenConfig models' own fields (types, bounds, defaults of
every recipe), then get mutated: wrong types, out-of-range and non-finite numbers, unknown keys at any
depth, empty or null values, huge strings, lists where maps go, non-string keys, broken YAML. Each one
runs through the real CLI in-process. THAIGEN_FUZZ_EXAMPLES sets the number of cases (default 200, ~20 s).
"""

from __future__ import annotations

import copy
import functools
import math
import os
import shutil
import tempfile
import types
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from thaigen.augment.presets import BUILTIN
from thaigen.cli import main
from thaigen.config.loading import make_config
from thaigen.config.recipes import RECIPES
from thaigen.config.schema import BACKGROUND_KINDS, FONT_CLASSES, FURNITURE_KINDS, LAYOUTS, GenConfig
from thaigen.pipeline import build as build_module
from thaigen.resources import data_dir
from thaigen.text.catalog import FOCUS
from thaigen.text.catalog import NAMES as SOURCE_NAMES
from thaigen.text.sources import USER_CORPUS

EXAMPLES = int(os.environ.get("THAIGEN_FUZZ_EXAMPLES", "200"))

NAMES: dict[str, tuple[str, ...]] = {
    "sources": (*(n for n in SOURCE_NAMES if n != FOCUS), USER_CORPUS),
    "presets": tuple(sorted(BUILTIN)),
    "kinds": BACKGROUND_KINDS,
    "furniture": FURNITURE_KINDS,
    "layouts": LAYOUTS,
    "classes": FONT_CLASSES,
}
"""The names a weight mapping field (by field name) accepts as keys."""

PATHS = ("@corpus", "@images", "@font_file", "@font_dir", "@missing", "@empty_dir", "@broken_png", "@text_file")
"""Path placeholders, replaced by real files of the `files` fixture when a case is written."""


def _bounds(info: FieldInfo) -> tuple[float | None, float | None, bool]:
    """(lowest, highest, highest excluded) from a field's annotated_types constraints."""
    low = high = None
    open_high = False
    for item in info.metadata:
        if isinstance(item, annotated_types.Ge | annotated_types.Gt):
            low = item.ge if isinstance(item, annotated_types.Ge) else item.gt
        elif isinstance(item, annotated_types.Le | annotated_types.Lt):
            high, open_high = (item.le, False) if isinstance(item, annotated_types.Le) else (item.lt, True)
    return low, high, open_high


def _number(kind: type, low: float | None, high: float | None, open_high: bool, default: float) -> st.SearchStrategy[Any]:
    low = 0 if low is None else low
    high = max(float(default) * 3, low + 10) if high is None else high
    if kind is int:
        return st.integers(int(low), int(high) - open_high)
    return st.floats(float(low), float(high), exclude_max=open_high)


def _pair(kind: type, default: list[float]) -> st.SearchStrategy[list[Any]]:
    """A (low, high) range near the default one."""
    span = max(abs(default[0]), abs(default[1]), 1)
    values = _number(kind, min(default) - span, max(default) + span, False, 0)
    return st.lists(values, min_size=2, max_size=2).map(sorted)


def _valid(name: str, annotation: Any, default: Any) -> st.SearchStrategy[Any]:
    """Values a field of this name and type takes, derived from the type (constraints come with the field)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _section(annotation, default)
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation is bool:
        return st.booleans()
    if origin in (types.UnionType, Union) and type(None) in args:
        (other,) = (a for a in args if a is not type(None))
        return st.none() | (st.sampled_from(PATHS) if other is Path else st.text(max_size=8))
    if annotation is str:
        return st.sampled_from(sorted(RECIPES))
    if origin is Literal:
        return st.sampled_from(args)
    if origin is tuple and args[-1] is Ellipsis:
        return st.lists(st.sampled_from(PATHS), max_size=2)
    if origin is tuple:
        return _pair(args[0], default)
    if origin is dict and name in NAMES:
        return st.dictionaries(st.sampled_from(NAMES[name]), st.floats(0, 1) | st.integers(0, 5), min_size=1)
    if origin is dict and name == "focus_characters":
        return st.dictionaries(st.sampled_from(["ก", "7", "ซ", "ab"]), st.floats(0, 2), max_size=2)
    if origin is dict and name == "define":
        return _defined_presets()
    raise AssertionError(f"no strategy for field {name}: {annotation}")


def _field(name: str, info: FieldInfo, default: Any) -> st.SearchStrategy[Any]:
    if info.annotation in (int, float):
        return _number(info.annotation, *_bounds(info), default)
    return _valid(name, info.annotation, default)


def _section(model: type[BaseModel], defaults: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Some of the model's fields, each its default (from a recipe) or another value of its type."""
    fields = {
        name: st.just(defaults[name]) | _field(name, info, defaults[name]) for name, info in model.model_fields.items()
    }
    return st.fixed_dictionaries({}, optional=fields)


def _defined_presets() -> st.SearchStrategy[dict[str, Any]]:
    """A config-defined preset: the steps of a built-in one under a new name."""
    steps = st.sampled_from(sorted(BUILTIN)).map(lambda name: [dict(step) for step in BUILTIN[name]])
    return st.dictionaries(st.sampled_from(["mine", "ours"]), steps, max_size=1)


@st.composite
def valid_configs(draw: st.DrawFn) -> dict[str, Any]:
    """A config file's values: a recipe's, with fields redrawn; corpus files and images with their weights."""
    recipe = draw(st.sampled_from(sorted(RECIPES)))
    config = {"recipe": recipe} | draw(_section(GenConfig, make_dump(recipe)))
    if "define" in config.get("augment", {}):
        config["augment"]["presets"] = {name: 1 for name in config["augment"]["define"]} or {"light": 1}
    if draw(st.booleans()):
        config |= {"sources": {USER_CORPUS: 1, "phone": 1}, "corpus_files": ["@corpus"]}
    if draw(st.booleans()):
        config["background"] = config.get("background", {}) | {"kinds": {"image": 1, "plain": 1}, "images": ["@images"]}
    return config


@functools.cache
def make_dump(recipe: str) -> dict[str, Any]:
    """Every field of the recipe's config, as a YAML file would give it."""
    return make_config(recipe).model_dump(mode="json")


KEYS = st.one_of(
    st.text(max_size=12), st.integers(-5, 5), st.booleans(), st.none(), st.floats(allow_nan=False),
    st.sampled_from(["preset", "recipe", "p", "range", "image", "corpus", "transforms", "ToGray"]),
)
"""Keys a mutation adds: unknown names, non-strings, and names that are known somewhere else."""

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.sampled_from([10**30, -(10**30), 2**63, -1, 0]),
    st.floats(), st.text(max_size=20), st.just("x" * 100_000), st.just("ก่" * 20_000), st.sampled_from(PATHS),
)
BAD = st.one_of(
    SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(KEYS, SCALARS, max_size=2), st.just({}), st.just([])
)
"""Values a mutation puts anywhere."""


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, value
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from _nodes(child, (*path, key))


def _set(root: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return copy.deepcopy(value)
    parent = root
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = copy.deepcopy(value)
    return root


def _near_bounds(value: float) -> st.SearchStrategy[float]:
    return st.sampled_from([-value, value * 1e6, value + 1e-9, value - 1e-9, math.nan, math.inf, -math.inf, -1e-300])


@st.composite
def mutated(draw: st.DrawFn, config: dict[str, Any]) -> Any:
    """`config` after up to four mutations, each at a node anywhere in it (the root included)."""
    root: Any = copy.deepcopy(config)  # drawn values are shared (st.just, cached dumps): mutate copies only
    for _ in range(draw(st.integers(0, 4))):
        path, node = draw(st.sampled_from(list(_nodes(root))))
        operations = ["replace", "wrap"]
        if isinstance(node, dict):
            operations += ["add_key", "drop", "empty", "as_list"] if node else ["add_key"]
        if isinstance(node, int | float) and not isinstance(node, bool):
            operations.append("number")
        operation = draw(st.sampled_from(operations))
        if operation == "replace":
            root = _set(root, path, draw(BAD))
        elif operation == "wrap":
            root = _set(root, path, draw(st.sampled_from([[node], {"x": node}, [node, node]])))
        elif operation == "add_key":
            node[draw(KEYS)] = copy.deepcopy(draw(BAD))
        elif operation == "drop":
            del node[draw(st.sampled_from(list(node)))]
        elif operation == "empty":
            root = _set(root, path, draw(st.sampled_from([{}, [], None])))
        elif operation == "as_list":
            root = _set(root, path, draw(st.sampled_from([list(node), list(node.values()), [node]])))
        else:
            root = _set(root, path, draw(_near_bounds(float(node))))
    return root


RAW = st.sampled_from([
    b"", b"null\n", b"- a\n- b\n", b"42\n", b"{\n", b"recipe: [documents\n", b"\tcount: 3\n", b"? [a, b]\n: 1\n",
    b"a: &x [*x]\n", b"render: &r {height: 32}\nstyle: *r\n", b"!!python/object:os.system {}\n",
    b"count: !!binary aGVsbG8=\n", b"render: !!set {height}\n", b"seed: 2020-01-01\n", b"seed: 0x10\n",
    b"\xff\xfe\x00garbage", "\ufeffrecipe: digits\n".encode(), b"sources: {phone: 1}\n<<: {seed: 3}\n",
    b"augment:\n  preset: [scan]\n", b"recipe: {documents: 1}\n", b"background: {kinds: {image: 1}, images: '@images'}\n",
])
"""Whole files a YAML dump of a mapping never gives."""


def _to_yaml(config: Any) -> bytes:
    try:
        return yaml.safe_dump(config, allow_unicode=True, sort_keys=False).encode("utf-8")
    except yaml.representer.RepresenterError:
        return b"{}\n"


documents = st.one_of(st.builds(_to_yaml, valid_configs().flatmap(mutated)), RAW)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Real files for the path placeholders: good, missing, empty and broken ones."""
    root = tmp_path_factory.mktemp("fuzz")
    (root / "lines.txt").write_text("ใบเสร็จรับเงิน\nเลขที่ 12/3\n", encoding="utf-8")
    (root / "images").mkdir()
    rgb = np.random.default_rng(0).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(root / "images" / "noise.png")
    (root / "empty").mkdir()
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    font_dir = data_dir("fonts") / "tlwg"
    return {
        "@corpus": str(root / "lines.txt"), "@images": str(root / "images"), "@font_file": str(font_dir / "Garuda.ttf"),
        "@font_dir": str(font_dir), "@missing": str(root / "missing"), "@empty_dir": str(root / "empty"),
        "@broken_png": str(root / "broken.png"), "@text_file": str(root / "lines.txt"),
    }


@pytest.fixture(scope="module", autouse=True)
def _fonts_scanned_once() -> Iterator[None]:
    """Scan each font configuration once for all cases (scanning the shipped fonts takes about a second)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build_module, "load_pool", functools.cache(build_module.load_pool))
        yield


def _with_paths(document: bytes, files: dict[str, str]) -> bytes:
    for token, path in files.items():
        document = document.replace(token.encode(), path.encode())
    return document


@settings(
    max_examples=EXAMPLES, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(document=documents)
def test_any_config_builds_or_fails_in_one_line(
    document: bytes, files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    work = Path(tempfile.mkdtemp(prefix="fuzz"))
    try:
        config = work / "c.yaml"
        config.write_bytes(_with_paths(document, files))
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            code = main(["build", "--config", str(config), "--count", "2", "--workers", "1", "--out", str(work / "o"), "--quiet"])
    finally:
        shutil.rmtree(work)
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if not line.startswith("thaigen: warning: ")]
    if code == 0:
        event("built")
        assert lines == [] and out.startswith("built: "), err
    else:
        assert lines, err
        event("error: " + lines[0].removeprefix("thaigen: error: ").replace(str(work), "WORK").split(":")[0][:50])
        assert code == 2 and len(lines) == 1 and lines[0].startswith("thaigen: error: "), err
