"""Photometric augmentation with albumentations, reseeded for every sample."""

from __future__ import annotations

import functools
import os

import numpy as np

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")  # no version check over the network
import albumentations as A

PRESETS = ("none", "light")


@functools.cache
def _pipeline(preset: str) -> A.Compose | None:
    """Build a preset once per process; pixel-moving transforms are left out so ink stays inside."""
    if preset == "none":
        return None
    if preset == "light":
        return A.Compose(
            [
                A.RandomBrightnessContrast(brightness_limit=0.15, contrast_limit=0.2, p=0.5),
                A.GaussianBlur(blur_limit=(3, 3), sigma_limit=(0.2, 0.8), p=0.3),
                A.GaussNoise(std_range=(0.01, 0.04), p=0.4),
                A.ImageCompression(quality_range=(60, 95), p=0.3),
            ]
        )
    raise ValueError(f"unknown augmentation preset '{preset}'; known: {', '.join(PRESETS)}")


def augment(image: np.ndarray, preset: str, rng: np.random.Generator) -> np.ndarray:
    """Apply `preset` to an RGB uint8 image, with draws taken only from `rng`."""
    pipeline = _pipeline(preset)
    if pipeline is None:
        return image
    pipeline.set_random_seed(int(rng.integers(0, 2**31 - 1)))
    return np.asarray(pipeline(image=image)["image"])
