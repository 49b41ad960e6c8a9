"""Typesetting: font scanning and coverage, unhinted Pillow fonts, font-fallback runs, text styles, and raqm
rendering to ink."""
