"""Thai places that hold together: each subdistrict with its own district, province and postcodes, from geothai.

geothai ships GeoThai's table (DOPA codes and names, Thailand Post codes) inside its wheel, so nothing is
downloaded. Its data is CC BY 4.0: a dataset whose addresses come from here credits "GeoThai".
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import geothai
import numpy as np

BANGKOK_CODE = "10"
"""Bangkok's DOPA province code: its districts are เขต and subdistricts แขวง."""
BANGKOK_SHARE = 0.3
"""Share of places drawn in Bangkok, over-represented in real documents."""
_KHET = "เขต"
"""The word geothai's Bangkok district names begin with (เขตพระนคร); a label writes it, not the name."""


@dataclass(frozen=True)
class Place:
    """One subdistrict and the areas it lies in, names without their level word (ตำบล, อำเภอ, เขต ...).

    Attributes:
        subdistrict: Subdistrict (ตำบล, or แขวง in Bangkok) name.
        district: District (อำเภอ, or เขต in Bangkok) name.
        province: Province name (กรุงเทพมหานคร for Bangkok).
        postcodes: The subdistrict's Thailand Post codes (several where it spans post office zones).
        bangkok: Whether the place is in Bangkok.
        capital: Whether the district is its province's capital (อำเภอเมือง...), which addresses may write as
            just เมือง.
    """

    subdistrict: str
    district: str
    province: str
    postcodes: tuple[str, ...]
    bangkok: bool
    capital: bool


@functools.cache
def places() -> tuple[tuple[Place, ...], tuple[Place, ...]]:
    """Every current subdistrict as a Place, by DOPA code: (Bangkok's, the other provinces'). Loaded once
    (0.06 s)."""
    bangkok: list[Place] = []
    provincial: list[Place] = []
    for province in geothai.provinces():
        in_bangkok = province.code == BANGKOK_CODE
        for district in geothai.districts(province.code):
            name = district.name_th.removeprefix(_KHET) if in_bangkok else district.name_th
            capital = not in_bangkok and district.code.endswith("01") and name.startswith("เมือง")
            for sub in geothai.subdistricts(district.code):
                place = Place(sub.name_th, name, province.name_th, sub.postal_codes, in_bangkok, capital)
                (bangkok if in_bangkok else provincial).append(place)
    return tuple(bangkok), tuple(provincial)


def draw_place(rng: np.random.Generator) -> Place:
    """A place: in Bangkok with probability BANGKOK_SHARE, else any other subdistrict, each equally likely."""
    bangkok, provincial = places()
    pool = bangkok if rng.random() < BANGKOK_SHARE else provincial
    return pool[int(rng.integers(len(pool)))]
