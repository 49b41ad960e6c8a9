"""Augmentation: built-in and user presets, thaigen's own transforms, and applying a preset to a line."""

import os

# Before any module of this package imports albumentations: its import otherwise asks PyPI for the latest
# version over HTTPS, a network call in every build and worker process.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
