"""Typesetting: font scanning and coverage, font-fallback runs, text styles, and raqm rendering to ink."""
