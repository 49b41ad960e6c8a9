"""Apply an augmentation preset to a composed line, drawing from the sample's own stream, keeping the text inside."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import albumentations as A
import numpy as np

from thaigen.augment.legibility import legible
from thaigen.augment.presets import Step, cached_preset, canonical_steps
from thaigen.errors import ConfigError
from thaigen.rng import pick

DRAW_TRIES = 8
"""Draws of a preset tried (text pushed off the image, or no longer legible) before the line is kept unaugmented."""


@dataclass(frozen=True)
class Augmented:
    """The augmented image, where the label's ink (and keypoints, when given) went, and the preset that was applied."""

    image: np.ndarray
    ink: np.ndarray
    preset: str
    """The preset applied; "clean" when no draw of a pixel-moving preset kept the text inside."""
    keypoints: np.ndarray | None = None
    """(N, 2) float32: the input keypoints where the geometry took them; None when none were given."""


def choose_preset(rng: np.random.Generator, weights: Mapping[str, float]) -> str:
    """Draw a preset name with probability proportional to its weight (no draw when there is one)."""
    names = sorted(weights)
    if len(names) == 1:
        return names[0]
    return names[pick(rng.random(), [weights[n] for n in names])]


def ink_inside(ink: np.ndarray) -> bool:
    """True when there is ink and none of it touches the image border."""
    return bool(ink.any()) and not (ink[0].any() or ink[-1].any() or ink[:, 0].any() or ink[:, -1].any())


def drive(pipeline: A.Compose, rng: np.random.Generator) -> None:
    """Make every transform in `pipeline` (nested ones too) draw from the sample's own stream: `rng` for numpy
    draws, and for Python draws one random.Random seeded from it. Both are shared, so transforms draw one after
    another (albumentations' set_random_state).

    Drawing format 2 called albumentations' set_random_seed(seed), which starts *each* transform's own
    generators from the same seed: their first draws coincide, so a preset's on/off draws were one draw and
    its transforms came all together or not at all ('light' made 4 of its 16 combinations, GaussianBlur
    never without ImageCompression), and their parameters were correlated too.
    """
    pipeline.set_random_state(rng, random.Random(int(rng.integers(0, 2**63 - 1))))


def _rgb8(name: str, image: object) -> np.ndarray:
    """The preset's output, if it is still an 8-bit RGB image (what thaigen encodes as PNG).

    Raises:
        ConfigError: a user-defined preset changed the type or channels (e.g. Normalize, ToFloat, ToGray).
    """
    array = np.asarray(image)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
        raise ConfigError(
            f"preset '{name}' turns a line into a {array.dtype} image of shape {list(array.shape)}; thaigen writes "
            "8-bit RGB PNGs: drop steps such as Normalize or ToFloat, or give ToGray num_output_channels=3"
        )
    return array


def augment(
    image: np.ndarray,
    ink: np.ndarray,
    name: str,
    steps: Sequence[Step],
    rng: np.random.Generator,
    keypoints: np.ndarray | None = None,
) -> Augmented:
    """Apply preset `name` (its `steps`) to an RGB uint8 image, with draws taken only from `rng`.

    `ink` is the label's coverage (H x W uint8); it goes through the same geometry, and a draw that
    pushes any of it onto the border, or leaves it illegible (thaigen.augment.legibility), is rejected.
    `keypoints` ((N, 2) float32 (x, y) of pixel centres) move with the pixels as albumentations moves keypoints;
    the draws, and so the image, are the same with or without them.
    """
    steps_json = canonical_steps(steps)
    pipeline, moves = cached_preset(name, steps_json)
    if pipeline is None:
        return Augmented(image, ink, name, keypoints)
    if moves and keypoints is not None:
        pipeline, _ = cached_preset(name, steps_json, keypoints=True)
        assert pipeline is not None
    drive(pipeline, rng)  # once: every try draws on from the same shared streams
    for _ in range(DRAW_TRIES):
        moved_points = keypoints
        if not moves:
            out, moved = _rgb8(name, pipeline(image=image)["image"]), ink
        else:
            drawn = pipeline(image=image, mask=ink, **({} if keypoints is None else {"keypoints": keypoints}))
            out, moved = drawn["image"], np.asarray(drawn["mask"])
            if keypoints is not None:
                moved_points = np.asarray(drawn["keypoints"], dtype=np.float32).reshape(-1, 2)
            if not ink_inside(moved):
                continue
            out = _rgb8(name, out)
        if legible(out, moved):
            return Augmented(out, moved, name, moved_points)
    return Augmented(image, ink, "clean", keypoints)


@dataclass(frozen=True)
class AugmentedPage:
    """An augmented page, its moved line-id mask and keypoints, and the preset applied."""

    image: np.ndarray
    ids: np.ndarray
    points: np.ndarray
    """(N, 2) float32: the input keypoints where the geometry took them (possibly outside the image)."""
    preset: str


def augment_page(
    image: np.ndarray, ids: np.ndarray, points: np.ndarray, name: str, steps: Sequence[Step], rng: np.random.Generator
) -> AugmentedPage:
    """Apply preset `name` to a page; its line-id mask (nearest) and polygon keypoints move with the pixels."""
    steps_json = canonical_steps(steps)
    pipeline, moves = cached_preset(name, steps_json)
    if pipeline is None:
        return AugmentedPage(image, ids, points, name)
    if not moves:
        drive(pipeline, rng)
        return AugmentedPage(_rgb8(name, pipeline(image=image)["image"]), ids, points, name)
    pipeline, _ = cached_preset(name, steps_json, keypoints=True)
    assert pipeline is not None
    drive(pipeline, rng)
    out = pipeline(image=image, mask=ids, keypoints=points)
    moved = np.asarray(out["keypoints"], dtype=np.float32).reshape(-1, 2)
    return AugmentedPage(_rgb8(name, out["image"]), np.asarray(out["mask"]), moved, name)
