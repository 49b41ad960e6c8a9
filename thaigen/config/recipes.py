"""Embedded default recipes: named starting points a YAML config can override."""

from typing import Any

_PAGE_TEXT = {"sentence": 3, "thai_word": 3, "name": 2, "address": 2, "date": 1, "price": 1, "mixed": 1,
              "phone": 1, "national_id": 1, "time": 1, "arabic_digits": 1}

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
    # Detection pages (task: det). Body text from the document sources; layouts add their own fields.
    "pages": {
        "task": "det",
        "count": 200,
        "sources": _PAGE_TEXT,
        "background": {"kinds": {"plain": 3, "gradient": 1, "paper": 4}, "light_on_dark": 0.03, "color": 0.2},
        "augment": {"presets": {"clean": 2, "scan": 2, "photo": 2, "tilted": 2, "curled": 1}},
    },
    "forms": {
        "task": "det",
        "count": 200,
        "sources": _PAGE_TEXT,
        "page": {"layouts": {"form": 1}},
        "background": {"kinds": {"plain": 3, "paper": 3}, "light_on_dark": 0.0, "color": 0.15},
        "augment": {"presets": {"clean": 1, "scan": 3, "fax": 1, "tilted": 1, "photo": 1}},
    },
    "receipts": {
        "task": "det",
        "count": 200,
        "sources": _PAGE_TEXT,
        "page": {"layouts": {"receipt": 1}},
        "background": {"kinds": {"plain": 2, "paper": 3, "gradient": 1}, "light_on_dark": 0.0, "color": 0.05},
        "augment": {"presets": {"clean": 1, "photo": 3, "tilted": 2, "curled": 2, "scan": 1}},
    },
    "id_cards": {
        "task": "det",
        "count": 200,
        "sources": _PAGE_TEXT,
        "page": {"layouts": {"id_card": 1}},
        "background": {"kinds": {"gradient": 3, "paper": 1, "plain": 1}, "light_on_dark": 0.0, "color": 0.5},
        "augment": {"presets": {"clean": 1, "photo": 3, "tilted": 2, "screen": 1}},
    },
    "signs": {
        "task": "det",
        "count": 200,
        "sources": {"thai_word": 4, "sentence": 2, "name": 1, "price": 1, "phone": 1, "mixed": 1},
        "page": {"layouts": {"sign": 1}},
        "background": {"kinds": {"gradient": 3, "paper": 1, "plain": 1}, "light_on_dark": 0.35, "color": 0.6},
        "augment": {"presets": {"clean": 1, "photo": 3, "tilted": 2, "curled": 1}},
    },
}
"""Recipe name -> config values (any GenConfig key)."""
