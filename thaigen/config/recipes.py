"""Embedded default recipes: named starting points a YAML config can override."""

from typing import Any

RECIPES: dict[str, dict[str, Any]] = {
    "digits": {
        "sources": {"arabic_digits": 4, "thai_digits": 2, "phone": 1, "national_id": 1},
    },
    "thai": {
        "sources": {"thai_word": 4, "name": 2, "address": 2, "sentence": 2, "date": 1},
    },
    "mixed": {
        "sources": {
            "thai_word": 4,
            "sentence": 2,
            "name": 2,
            "address": 2,
            "date": 1,
            "time": 1,
            "price": 1,
            "phone": 1,
            "national_id": 1,
            "arabic_digits": 1,
            "thai_digits": 1,
            "mixed": 2,
        },
    },
    "documents": {
        "sources": {"thai_word": 3, "name": 2, "address": 2, "date": 2, "price": 2, "sentence": 1, "mixed": 1,
                    "phone": 1, "national_id": 1, "thai_digits": 1},
        "background": {"kinds": {"plain": 3, "gradient": 1, "paper": 3}, "light_on_dark": 0.08, "color": 0.25},
        "frame": {"recrop": 0.6},
        "augment": {"presets": {"clean": 1, "light": 2, "scan": 3, "photo": 2, "screen": 1, "fax": 1}},
    },
}
"""Recipe name -> config values (any GenConfig key)."""
