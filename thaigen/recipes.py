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
}
"""Recipe name -> config values (any GenConfig key)."""
