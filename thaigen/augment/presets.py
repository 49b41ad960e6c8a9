"""Augmentation presets: named lists of albumentations steps, built-in or defined in a config file.

A preset is a list of one-key mappings, as PaddleOCR's `transforms:` lists are::

    - Affine: {rotate: [-1.5, 1.5], fit_output: true, border_mode: cv2.BORDER_REPLICATE, p: 0.7}
    - OneOf: {transforms: [{MotionBlur: {blur_limit: [3, 5]}}, {Defocus: {radius: [1, 2]}}], p: 0.5}

Names are albumentations 2.0.8 transforms, OneOf / SomeOf / Sequential (with a `transforms` list), or
thaigen's own (thaigen.augment.transforms: Binarize, Streaks, SubpixelFringe). A string value "cv2.NAME" stands
for that OpenCV constant. Transforms that move pixels (albumentations' DualTransforms) are allowed:
thaigen.augment.apply checks that the text stays inside and redraws otherwise.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Mapping, Sequence
from typing import Any

import albumentations as A
import cv2
from albumentations.core.transforms_interface import BasicTransform
from pydantic import JsonValue

from thaigen.augment.transforms import CUSTOM
from thaigen.errors import did_you_mean

Step = Mapping[str, Mapping[str, JsonValue] | None]
"""One preset step: {TransformName: {parameter: value}}."""

_REPLICATE = "cv2.BORDER_REPLICATE"
_AREA_THEN_LINEAR: JsonValue = {"downscale": "cv2.INTER_AREA", "upscale": "cv2.INTER_LINEAR"}
_AREA_THEN_NEAREST: JsonValue = {"downscale": "cv2.INTER_AREA", "upscale": "cv2.INTER_NEAREST"}



def _print_scan(generations: int) -> tuple[Step, ...]:
    """An office print scanned (`generations` 1) or photocopied (2: a copy of a copy, then scanned): toner
    spread or a light print, toner specks, skew under a degree, scanner optics and sensor noise, then what the
    scanner saves: mostly 1-bit (a global or local threshold taken at 1.5-3x the line's resolution, as at
    200-300 dpi), else a gray JPEG at scanner qualities. Calibrated against bench/scanned.py's lines
    (bench/scan_stats.py)."""
    copy: list[Step] = [
        {"GaussianBlur": {"blur_limit": [0, 0], "sigma_limit": [0.4, 0.9], "p": 1}},
        {"Binarize": {"offset": [-30, 0], "scale": [1.5, 2.5], "p": 1}},
    ]
    return (
        {"ToGray": {"p": 1}},
        {"InkSpread": {"amount": [-0.4, 0.2], "sigma": [0.4, 0.9], "p": 0.6}},
        *copy * (generations - 1),
        {"SaltAndPepper": {"amount": [0.0002, 0.001], "p": 0.3}},
        {"Affine": {"rotate": [-0.8, 0.8], "fit_output": True, "border_mode": _REPLICATE, "p": 0.7}},
        {"GaussianBlur": {"blur_limit": [0, 0], "sigma_limit": [0.3, 0.9], "p": 0.8}},
        {"GaussNoise": {"std_range": [0.01, 0.05], "per_channel": False, "p": 0.6}},
        {
            "OneOf": {
                "transforms": [
                    {"Binarize": {"offset": [-15, 15], "adaptive": 0.35, "scale": [1.5, 3], "p": 0.7}},
                    {"ImageCompression": {"quality_range": [55, 85], "p": 0.3}},
                ],
                "p": 1,
            }
        },
    )


BUILTIN: dict[str, tuple[Step, ...]] = {
    "clean": (),
    "none": (),
    "light": (
        {"RandomBrightnessContrast": {"brightness_limit": 0.15, "contrast_limit": 0.2, "p": 0.5}},
        {"GaussianBlur": {"blur_limit": [3, 3], "sigma_limit": [0.2, 0.8], "p": 0.3}},
        {"GaussNoise": {"std_range": [0.01, 0.04], "per_channel": False, "p": 0.4}},
        {"ImageCompression": {"quality_range": [60, 95], "p": 0.3}},
    ),
    "scan": (
        {"Affine": {"rotate": [-1.5, 1.5], "fit_output": True, "border_mode": _REPLICATE, "p": 0.7}},
        {
            "OneOf": {
                "transforms": [
                    {"Morphological": {"scale": [2, 2], "operation": "dilation", "p": 1}},
                    {"Morphological": {"scale": [2, 2], "operation": "erosion", "p": 1}},
                ],
                "p": 0.3,
            }
        },
        {"GaussianBlur": {"blur_limit": [3, 3], "sigma_limit": [0.3, 0.9], "p": 0.5}},
        {"GaussNoise": {"std_range": [0.02, 0.06], "per_channel": False, "p": 0.5}},
        {"ImageCompression": {"quality_range": [40, 85], "p": 0.5}},
        {"Binarize": {"offset": [-15, 15], "p": 0.15}},
    ),
    "photo": (
        {"Perspective": {"scale": [0.01, 0.04], "fit_output": True, "border_mode": _REPLICATE, "p": 0.7}},
        {
            "OneOf": {
                "transforms": [
                    {"MotionBlur": {"blur_limit": [3, 5], "p": 1}},
                    {"Defocus": {"radius": [1, 2], "alias_blur": [0.1, 0.3], "p": 1}},
                ],
                "p": 0.4,
            }
        },
        {"Illumination": {"intensity_range": [0.05, 0.2], "p": 0.5}},
        {
            "RandomShadow": {
                "shadow_roi": [0, 0, 1, 1],
                "num_shadows_limit": [1, 1],
                "shadow_dimension": 4,
                "shadow_intensity_range": [0.15, 0.35],
                "p": 0.3,
            }
        },
        {"PlanckianJitter": {"p": 0.5}},
        {"RGBShift": {"r_shift_limit": 15, "g_shift_limit": 15, "b_shift_limit": 15, "p": 0.3}},
        {"Downscale": {"scale_range": [0.5, 0.85], "interpolation_pair": _AREA_THEN_LINEAR, "p": 0.5}},
        {"ISONoise": {"color_shift": [0.01, 0.03], "intensity": [0.05, 0.2], "p": 0.3}},
        {"ImageCompression": {"quality_range": [50, 90], "p": 0.5}},
    ),
    "screen": (
        {
            "OneOf": {
                "transforms": [
                    {"Downscale": {"scale_range": [0.5, 0.9], "interpolation_pair": _AREA_THEN_LINEAR, "p": 1}},
                    {"Downscale": {"scale_range": [0.6, 0.9], "interpolation_pair": _AREA_THEN_NEAREST, "p": 1}},
                ],
                "p": 0.6,
            }
        },
        {"SubpixelFringe": {"shift": [0.25, 0.6], "p": 0.6}},
        {"Sharpen": {"alpha": [0.1, 0.3], "p": 0.3}},
        {"ImageCompression": {"quality_range": [60, 95], "p": 0.4}},
    ),
    "fax": (
        {"ToGray": {"p": 1}},
        {"Downscale": {"scale_range": [0.55, 0.8], "interpolation_pair": _AREA_THEN_NEAREST, "p": 0.7}},
        {"Binarize": {"offset": [-20, 20], "p": 1}},
        {"SaltAndPepper": {"amount": [0.002, 0.01], "p": 0.7}},
        {"Streaks": {"count": [1, 2], "p": 0.4}},
    ),
    "print_scan": _print_scan(generations=1),
    "photocopy": _print_scan(generations=2),
    "tilted": (
        {"Affine": {"rotate": [-8, 8], "scale": [0.9, 1.05], "fit_output": True, "border_mode": _REPLICATE, "p": 1}},
        {"Perspective": {"scale": [0.01, 0.05], "fit_output": True, "border_mode": _REPLICATE, "p": 0.6}},
        {"Illumination": {"intensity_range": [0.05, 0.15], "p": 0.4}},
        {"GaussNoise": {"std_range": [0.01, 0.04], "per_channel": False, "p": 0.4}},
        {"ImageCompression": {"quality_range": [60, 92], "p": 0.5}},
    ),
    "curled": (
        {"PageCurl": {"amplitude": [0.006, 0.03], "waves": [0.3, 1.2], "p": 1}},
        {"Perspective": {"scale": [0.01, 0.04], "fit_output": True, "border_mode": _REPLICATE, "p": 0.7}},
        {"Affine": {"rotate": [-3, 3], "fit_output": True, "border_mode": _REPLICATE, "p": 0.5}},
        {"RandomShadow": {"shadow_roi": [0, 0, 1, 1], "num_shadows_limit": [1, 1], "shadow_dimension": 4,
                          "shadow_intensity_range": [0.1, 0.3], "p": 0.3}},
        {"ImageCompression": {"quality_range": [60, 92], "p": 0.5}},
    ),
}
"""Built-in presets. `clean` and `none` (its older name) leave the rendered line untouched. `print_scan` and
`photocopy` reproduce the office print-and-scan chain (see _print_scan); `scan` and `fax` are generic noise. `tilted`
(rotation up to 8 degrees, perspective) and `curled` (PageCurl: paper that does not lie flat, which curves lines) are made for
pages but work on lines too. GaussNoise in `light`, `scan` and `tilted` is luminance noise (`per_channel: false`,
since drawing format 3): print and scanner noise has no colour, and per-channel noise turned gray lines into
colour images (4,000 default lines: 51 % colour, against 25 % now; PNGs 10.2 against 8.1 KiB a line), slower
to make and to encode.
`photo` keeps colour noise (ISONoise), as camera sensors make it."""

COMPOSITIONS: dict[str, type[A.BaseCompose]] = {"OneOf": A.OneOf, "SomeOf": A.SomeOf, "Sequential": A.Sequential}


def _registry() -> dict[str, type[BasicTransform]]:
    found = {name: getattr(A, name) for name in dir(A)}
    transforms = {n: c for n, c in found.items() if isinstance(c, type) and issubclass(c, BasicTransform)}
    return transforms | CUSTOM


TRANSFORMS: dict[str, type[BasicTransform]] = _registry()
"""Every transform a preset may name."""


class PresetError(ValueError):
    """A preset step names an unknown transform or gives it a bad parameter (message names both)."""


def _resolve(value: JsonValue) -> Any:
    """Turn "cv2.NAME" strings into OpenCV constants, recursively."""
    if isinstance(value, str) and value.startswith("cv2."):
        constant = getattr(cv2, value.removeprefix("cv2."), None)
        if not isinstance(constant, int):
            raise PresetError(f"'{value}' is not an OpenCV constant")
        return constant
    if isinstance(value, list):
        return [_resolve(v) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v) for k, v in value.items()}
    return value


def _first_error_line(error: Exception) -> str:
    """The field and message of a pydantic error wrapped by albumentations, on one line."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if len(lines) >= 3 and "validation error" in lines[0]:
        return f"{lines[1]}: {lines[2].split(' [type=')[0]}"
    return lines[0] if lines else type(error).__name__


def _step(step: object, where: str) -> BasicTransform | A.BaseCompose:
    if not isinstance(step, Mapping) or len(step) != 1:
        raise PresetError(f"{where}: a step is a one-key mapping {{TransformName: {{parameter: value}}}}, got {step!r}")
    name, raw = next(iter(step.items()))
    if not isinstance(raw, Mapping | None):
        raise PresetError(f"{where} {name}: parameters must be a mapping, got {raw!r}")
    params = dict(raw or {})
    if name in COMPOSITIONS:
        children = params.pop("transforms", None)
        if not isinstance(children, list) or not children:
            raise PresetError(f"{where} {name}: needs a non-empty 'transforms' list")
        built = [_step(child, f"{where}.{name}[{i}]") for i, child in enumerate(children)]
        return _instantiate(COMPOSITIONS[name], name, {"transforms": built, **params}, where)
    cls = TRANSFORMS.get(str(name))
    if cls is None:
        raise PresetError(f"{where}: unknown albumentations transform '{name}'{did_you_mean(str(name), TRANSFORMS)}")
    return _instantiate(cls, str(name), params, where)


def _instantiate(cls: type[Any], name: str, params: dict[str, Any], where: str) -> Any:
    accepted = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "strict")]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise PresetError(f"{where} {name}: unknown parameter '{unknown[0]}' (accepted: {', '.join(accepted)})")
    try:
        return cls(**{k: v if k == "transforms" else _resolve(v) for k, v in params.items()})
    except PresetError as exc:
        raise PresetError(f"{where} {name}: {exc}") from None
    except (ValueError, TypeError) as exc:
        raise PresetError(f"{where} {name}: bad parameter: {_first_error_line(exc)}") from None


def build_preset(name: str, steps: Sequence[Step], keypoints: bool = False) -> A.Compose | None:
    """An albumentations Compose for the preset's steps (None for an empty preset).

    With `keypoints`, the Compose also moves (x, y) keypoints with the image, keeping those that leave it.

    Raises:
        PresetError: a step is malformed, names an unknown transform, or has a bad parameter.
    """
    if not steps:
        return None
    transforms = [_step(step, f"preset '{name}' step {i + 1}") for i, step in enumerate(steps)]
    if keypoints:
        return A.Compose(transforms, keypoint_params=A.KeypointParams(format="xy", remove_invisible=False))
    return A.Compose(transforms)


_CANONICAL: dict[int, tuple[Sequence[Step], str]] = {}
"""id(steps) -> (steps, their canonical JSON); holding the steps keeps their id from being reused."""


def canonical_steps(steps: Sequence[Step]) -> str:
    """A preset's steps as canonical JSON (cached_preset's key), worked out once per steps object."""
    known = _CANONICAL.get(id(steps))
    if known is None or known[0] is not steps:
        if len(_CANONICAL) >= 256:
            _CANONICAL.clear()  # a caller that makes its steps anew each time: stay bounded
        known = _CANONICAL[id(steps)] = (steps, json.dumps(steps, sort_keys=True))
    return known[1]


@functools.cache
def cached_preset(name: str, steps_json: str, keypoints: bool = False) -> tuple[A.Compose | None, bool]:
    """build_preset, once per process per (name, steps as canonical JSON), and whether it moves pixels."""
    compose = build_preset(name, json.loads(steps_json), keypoints)
    return compose, compose is not None and moves_pixels(compose)


def moves_pixels(compose: A.Compose) -> bool:
    """True when some step may move pixels (a DualTransform), so the text's ink must be tracked and checked."""
    stack: list[Any] = list(compose.transforms)
    while stack:
        transform = stack.pop()
        if isinstance(transform, A.BaseCompose):
            stack.extend(transform.transforms)
        elif isinstance(transform, A.DualTransform):
            return True
    return False
