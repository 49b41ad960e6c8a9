"""Embedded default recipes: named starting points a YAML config can override."""

from typing import Any

_PAGE_TEXT = {"running": 3, "phrase": 3, "words": 2, "name": 2, "address_line": 2, "date": 1, "price": 1,
              "mixed_phrase": 1, "phone": 1, "national_id": 1, "time": 1, "arabic_digits": 1, "rare": 0.5}
"""Body text of det pages (layouts add their own fields: labels, values, prices)."""

MIXED_TEXT = {
    "running": 4, "phrase": 3, "mixed_phrase": 2.5, "words": 2, "rare": 2, "name": 1.5, "address_line": 1.5,
    "hard_words": 1, "date": 1, "price": 1, "phone": 1, "arabic_digits": 1, "time": 0.5, "national_id": 0.5,
    "thai_digits": 0.5,
}  # fmt: skip
"""The default text mix: running text and document phrases first; `rare` lifts every character of the
measured rare set over 100 in 100,000 lines (bench/text_stats.py); no source that repeats its lines."""

RECIPES: dict[str, dict[str, Any]] = {
    "digits": {
        "sources": {"arabic_digits": 4, "thai_digits": 2, "phone": 1, "national_id": 1},
    },
    "thai": {
        "sources": {"running": 3, "words": 3, "phrase": 2, "name": 2, "address_line": 2, "hard_words": 1, "date": 1,
                    "rare": 1},
    },
    "mixed": {"sources": MIXED_TEXT},
    # Office documents: body lines as long as an A4 column holds (10-90 code points), form labels, addresses,
    # and the print-and-scan chain (print_scan, photocopy) in place of generic noise.
    "documents": {
        "max_text_length": 90,
        "ctc_time_steps": 100,
        "sources": {"body": 8, "running": 1, "phrase": 3, "words": 1, "name": 1.5, "address_line": 2, "form_label": 1,
                    "date": 1.5, "price": 1.5, "mixed_phrase": 1, "phone": 1, "national_id": 1, "thai_digits": 1,
                    "rare": 1},
        "background": {"kinds": {"plain": 3, "gradient": 1, "paper": 3}, "light_on_dark": 0.05, "color": 0.2},
        "frame": {"recrop": 0.6},
        "augment": {"presets": {"clean": 1, "light": 2, "print_scan": 3, "photocopy": 1, "photo": 1, "screen": 0.5,
                                "fax": 0.5}},
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
        "sources": {"words": 3, "phrase": 2, "running": 1, "name": 1, "price": 1, "phone": 1, "mixed_phrase": 1},
        "page": {"layouts": {"sign": 1}},
        "background": {"kinds": {"gradient": 3, "paper": 1, "plain": 1}, "light_on_dark": 0.35, "color": 0.6},
        "augment": {"presets": {"clean": 1, "photo": 3, "tilted": 2, "curled": 1}},
    },
}
"""Recipe name -> config values (any GenConfig key)."""
