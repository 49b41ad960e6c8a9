"""Composition around the ink: backgrounds, the crop (margins, re-crops) and form furniture."""
