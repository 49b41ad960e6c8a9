"""Augmentation presets: every preset keeps the stress set's text inside the image; YAML presets are validated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import albumentations as A
import numpy as np
import pytest

from thaigen.augment.apply import drive, ink_inside
from thaigen.augment.presets import BUILTIN, build_preset
from thaigen.cli import main
from thaigen.config.loading import load_config, make_config
from thaigen.config.schema import GenConfig
from thaigen.errors import ConfigError
from thaigen.pipeline.sample import compose_sample
from thaigen.text.thai import STRESS_SET
from thaigen.typeset.fonts import FontPool

SAMPLES_PER_PRESET = 40
BUSY = {
    "style": {"letter_spacing": {"p": 0.3}, "width": {"p": 0.3}, "skew": {"p": 0.3}},
    "frame": {"recrop": 0.7, "furniture": {"underline": 0.3, "leader": 0.3, "rules": 0.3, "box": 0.3, "neighbours": 0.3}},
    "background": {"kinds": {"plain": 1, "gradient": 1, "paper": 1}, "light_on_dark": 0.3, "color": 0.3},
}
"""Every style, frame and background option switched on often, so presets meet them all."""


def _stress_config(tmp_path: Path, preset: str, **extra: object) -> GenConfig:
    corpus = tmp_path / "stress.txt"
    corpus.write_text("\n".join(STRESS_SET) + "\n", encoding="utf-8")
    values = BUSY | {"sources": {"corpus": 1}, "corpus_files": [corpus], "augment": {"presets": {preset: 1}}}
    return make_config(file_values=values | extra, count=SAMPLES_PER_PRESET, seed=5)


@pytest.mark.parametrize("preset", sorted(BUILTIN))
def test_every_preset_keeps_the_stress_set_inside(tmp_path: Path, pool: FontPool, preset: str) -> None:
    config = _stress_config(tmp_path, preset)
    applied = []
    for index in range(SAMPLES_PER_PRESET):
        composed = compose_sample(config, pool, index)
        assert composed.sample.label in STRESS_SET
        assert composed.pixels.shape[0] == config.render.height == composed.ink.shape[0]
        assert composed.pixels.shape[:2] == composed.ink.shape
        assert ink_inside(composed.ink), (preset, index, composed.sample.label)
        applied.append(composed.sample.preset)
    assert applied.count(preset) >= 0.9 * SAMPLES_PER_PRESET, "geometry fell back to clean too often"


def test_samples_are_pure_functions_of_seed_and_index(tmp_path: Path, pool: FontPool) -> None:
    config = _stress_config(tmp_path, "photo", augment={"presets": {"photo": 1, "scan": 1, "fax": 1, "screen": 1}})
    first = [compose_sample(config, pool, i).sample.png for i in (7, 3, 7)]
    assert first[0] == first[2]
    assert compose_sample(config, pool, 3).sample.png == first[1]


def test_presets_mix_by_weight(pool: FontPool) -> None:
    config = make_config(count=300, augment={"presets": {"scan": 3, "fax": 1}})
    counts = [compose_sample(config, pool, i).sample.preset for i in range(120)]
    assert set(counts) <= {"scan", "fax", "clean"}
    assert 0.6 < counts.count("scan") / len(counts) < 0.9


def test_yaml_defines_a_preset(tmp_path: Path, pool: FontPool) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "augment:\n  presets: {smudge: 1}\n  define:\n    smudge:\n"
        "      - Affine: {rotate: [-3, 3], fit_output: true, border_mode: cv2.BORDER_REPLICATE, p: 1}\n"
        "      - OneOf: {transforms: [{MotionBlur: {blur_limit: [3, 5]}}, {Binarize: {}}], p: 1}\n",
        encoding="utf-8",
    )
    config = load_config(path, count=5)
    samples = [compose_sample(config, pool, i) for i in range(5)]
    assert {s.sample.preset for s in samples} == {"smudge"} and all(ink_inside(s.ink) for s in samples)


@pytest.mark.parametrize("example", sorted((Path(__file__).parents[1] / "examples").glob("*.yaml")))
def test_example_configs_validate(example: Path) -> None:
    assert load_config(example).augment.presets


def test_legacy_single_preset_key() -> None:
    assert make_config(augment={"preset": "none"}).augment.presets == {"none": 1}
    assert make_config().augment.presets == {"light": 1}


@pytest.mark.parametrize(
    ("augment", "message"),
    [
        ({"presets": {"scna": 1}}, "unknown preset 'scna'; known: clean, curled, fax, light, none, photo, photocopy, print_scan, scan, screen, tilted"),
        ({"presets": {"m": 1}, "define": {"m": [{"GausBlur": {}}]}}, "preset 'm' step 1: unknown albumentations transform 'GausBlur' (did you mean"),
        ({"presets": {"m": 1}, "define": {"m": [{"GaussianBlur": {"sigma": 1}}]}}, "preset 'm' step 1 GaussianBlur: unknown parameter 'sigma' (accepted: blur_limit, sigma_limit, p)"),
        ({"presets": {"m": 1}, "define": {"m": [{"GaussNoise": {"std_range": [0.5, 2]}}]}}, "preset 'm' step 1 GaussNoise: bad parameter: std_range"),
        ({"presets": {"m": 1}, "define": {"m": [{"Affine": {"border_mode": "cv2.NOPE"}}]}}, "Affine: 'cv2.NOPE' is not an OpenCV constant"),
        ({"presets": {"m": 1}, "define": {"m": [{"OneOf": {"p": 1}}]}}, "preset 'm' step 1 OneOf: needs a non-empty 'transforms' list"),
        ({"presets": {"scan": 1}, "define": {"scan": [{"ToGray": {}}]}}, "'scan' is a built-in preset"),
        ({"presets": {"scan": 0}}, "presets: give at least one a positive weight"),
    ],
)
def test_bad_presets_name_the_culprit(augment: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        make_config(augment=augment)
    assert message in str(error.value) and str(error.value).startswith("augment: ")


def test_clean_preset_leaves_pixels_alone(pool: FontPool) -> None:
    clean = make_config(augment={"presets": {"clean": 1}}, count=3)
    none = make_config(augment={"presets": {"none": 1}}, count=3)
    for index in range(3):
        assert np.array_equal(compose_sample(clean, pool, index).pixels, compose_sample(none, pool, index).pixels)


@pytest.mark.parametrize("step", [{"ToFloat": {}}, {"Normalize": {}}, {"ToGray": {"num_output_channels": 1, "p": 1}}])
def test_a_preset_that_leaves_8_bit_rgb_is_a_one_line_error(
    tmp_path: Path, step: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(json.dumps({"augment": {"define": {"odd": [step]}, "presets": {"odd": 1}}}), encoding="utf-8")
    code = main(["build", "--config", str(config), "--count", "2", "--workers", "1", "--out", str(tmp_path / "d"),
                 "--quiet"])  # fmt: skip
    error = capsys.readouterr().err.splitlines()
    assert code == 2 and len(error) == 1 and error[0].startswith("thaigen: error: preset 'odd' turns a line into")


NESTED: tuple[dict[str, object], ...] = (
    {"OneOf": {"transforms": [{"GaussNoise": {"std_range": [0.02, 0.1], "p": 1}}, {"Defocus": {"radius": [1, 3], "p": 1}}],
               "p": 0.8}},
    {"SomeOf": {"transforms": [{"RandomBrightnessContrast": {"p": 1}}, {"Binarize": {"p": 1}}, {"Streaks": {"p": 1}}],
                "n": 2, "p": 0.9}},
    {"Affine": {"rotate": [-3, 3], "fit_output": True, "p": 0.7}},
)
"""Composes inside the Compose and thaigen's own transforms: every level must draw from the sample's stream."""


def _nodes(pipeline: A.BaseCompose) -> list[A.BaseCompose | A.BasicTransform]:
    """The Compose and every transform or compose inside it, depth first."""
    found: list[A.BaseCompose | A.BasicTransform] = [pipeline]
    for child in getattr(pipeline, "transforms", ()):
        found.extend(_nodes(child) if isinstance(child, A.BaseCompose) else [child])
    return found


def _step_count(steps: Sequence[Mapping[str, Any]]) -> int:
    """Transforms and composes a preset's steps make, nested ones included."""
    count = 0
    for step in steps:
        (parameters,) = step.values()
        count += 1 + _step_count((parameters or {}).get("transforms", ()))
    return count


@pytest.mark.parametrize("preset", [*(p for p in sorted(BUILTIN) if BUILTIN[p]), "nested"])
def test_drive_puts_every_level_on_the_samples_stream(pool: FontPool, preset: str) -> None:
    """All transforms, nested ones too, share the sample's generator; the same stream gives the same images."""
    steps = NESTED if preset == "nested" else BUILTIN[preset]
    pipeline = build_preset(preset, steps)
    assert pipeline is not None
    line = compose_sample(make_config(count=1, seed=3), pool, 0)
    outputs = []
    for seed in (11, 12, 11):
        rng = np.random.default_rng(seed)
        drive(pipeline, rng)
        nodes = _nodes(pipeline)
        assert len(nodes) == 1 + _step_count(steps)
        assert all(n.random_generator is rng and n.py_random is pipeline.py_random for n in nodes)
        outputs.append(pipeline(image=line.pixels, mask=line.ink)["image"])
    assert np.array_equal(outputs[0], outputs[2]) and not np.array_equal(outputs[0], outputs[1])


def test_a_presets_transforms_are_drawn_independently(pool: FontPool) -> None:
    """Each transform of 'light' is applied at its own p, whatever the others do: all 16 combinations occur.

    Seeding every transform alike (albumentations' set_random_seed, drawing format 2) made one draw decide
    all four, and only 4 combinations ever occurred.
    """
    pipeline = build_preset("light", BUILTIN["light"])
    assert pipeline is not None
    applied: list[str] = []

    def recording(transform: A.BasicTransform) -> Callable[..., Any]:
        apply, name = transform.apply_with_params, type(transform).__name__

        def record(*args: Any, **kwargs: Any) -> Any:
            applied.append(name)
            return apply(*args, **kwargs)

        return record

    for transform in pipeline.transforms:
        transform.apply_with_params = recording(transform)
    line = compose_sample(make_config(count=1, seed=3), pool, 0).pixels
    rng = np.random.default_rng(7)
    seen: Counter[frozenset[str]] = Counter()
    for _ in range(600):
        applied.clear()
        drive(pipeline, rng)
        pipeline(image=line)
        seen[frozenset(applied)] += 1
    assert len(seen) == 16
    for step in BUILTIN["light"]:
        (name, parameters), = step.items()
        rate = sum(n for combination, n in seen.items() if name in combination) / 600
        assert parameters is not None and abs(rate - float(parameters["p"])) < 0.07, (name, rate)


def test_building_never_asks_pypi_for_albumentations_updates() -> None:
    """albumentations checks PyPI on import unless NO_ALBUMENTATIONS_UPDATE is set: thaigen sets it first."""
    env = {k: v for k, v in os.environ.items() if k != "NO_ALBUMENTATIONS_UPDATE"}
    code = "import thaigen.pipeline.build, albumentations.check_version as c; print(c.opener is None)"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"  # the opener is made only when the check runs
