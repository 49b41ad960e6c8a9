"""Augmentation: built-in and user presets, thaigen's own transforms, and applying a preset to a line."""
