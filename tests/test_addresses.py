"""Addresses that hold together (thaigen.text.addresses, the address sources, the place slots of phrases):
checked against geothai's own table, not against the Place table they are drawn from."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geothai
import numpy as np
import pytest

from thaigen.config.loading import make_config
from thaigen.inspect.lint import lint_dataset
from thaigen.pipeline.build import build
from thaigen.text.addresses import places
from thaigen.text.catalog import sources_for
from thaigen.text.phrases import fill
from thaigen.text.sources import address_pieces, is_clean

SEEDS = range(40)
DRAWS = 50
TAIL = re.compile(r"(ตำบล|ต\.|แขวง) ?(.+)")


def _table() -> set[tuple[str, str, str, str]]:
    """(subdistrict, district, province, postcode) of every subdistrict and each of its postcodes, by geothai."""
    rows = set()
    for province in geothai.provinces():
        for district in geothai.districts(province.code):
            for sub in geothai.subdistricts(district.code):
                rows |= {(sub.name_th, district.name_th, province.name_th, code) for code in sub.postal_codes}
    return rows


TABLE = _table()
CAPITALS = {(d.name_th, p.name_th) for p in geothai.provinces() for d in geothai.districts(p.code)
            if d.code.endswith("01") and d.name_th.startswith("เมือง")}  # fmt: skip


def _read(pieces: list[str]) -> tuple[str, str, str, str]:
    """(subdistrict, district, province, postcode) as geothai names them, from an address's last four pieces."""
    subdistrict, district, province, postcode = pieces[-4:]
    level = TAIL.fullmatch(subdistrict)
    assert level is not None, pieces
    if level.group(1) == "แขวง":
        assert province in ("กรุงเทพมหานคร", "กรุงเทพฯ"), pieces
        assert district.startswith("เขต"), pieces
        return level.group(2), "เขต" + district.removeprefix("เขต").lstrip(), "กรุงเทพมหานคร", postcode
    labels = re.fullmatch(r"(?:อำเภอ ?|อ\.)(.+)", district), re.fullmatch(r"(?:จังหวัด ?|จ\.)(.+)", province)
    assert labels[0] is not None and labels[1] is not None, pieces
    return level.group(2), labels[0].group(1), labels[1].group(1), postcode


def test_addresses_hold_together_in_geothai() -> None:
    seen = {"bangkok": 0, "abbreviated": 0, "full": 0, "mueang": 0}
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        for _ in range(DRAWS):
            pieces = address_pieces(rng)
            assert all(is_clean(p) for p in pieces), pieces
            subdistrict, district, province, postcode = _read(pieces)
            if district == "เมือง":
                seen["mueang"] += 1
                district = next(d for d, p in CAPITALS if p == province)
            assert (subdistrict, district, province, postcode) in TABLE, pieces
            if province == "กรุงเทพมหานคร":
                seen["bangkok"] += 1
                assert not any(p.startswith(("ต.", "ตำบล", "อ.", "อำเภอ", "จ.", "จังหวัด", "หมู่", "ม.")) for p in pieces)
            else:
                seen["abbreviated" if pieces[-2].startswith("จ.") else "full"] += 1
    total = len(SEEDS) * DRAWS
    assert 0.2 * total < seen["bangkok"] < 0.4 * total
    assert abs(seen["abbreviated"] - seen["full"]) < 0.15 * (seen["abbreviated"] + seen["full"])
    assert seen["mueang"] > 0


def test_bangkok_names_its_areas_khet_and_khwaeng() -> None:
    bangkok, provincial = places()
    assert len(bangkok) > 150 and len(provincial) > 7000
    assert all(p.bangkok and p.province == "กรุงเทพมหานคร" and not p.district.startswith("เขต") for p in bangkok)
    assert all(p.postcodes and all(c.startswith("10") for c in p.postcodes) for p in bangkok)
    assert not any(p.bangkok or p.province == "กรุงเทพมหานคร" for p in provincial)


@pytest.mark.parametrize("name", ["address", "address_line"])
def test_address_sources_are_a_function_of_the_rng(name: str) -> None:
    source = sources_for(60)[name]

    def draw(seed: int) -> list[str]:
        rng = np.random.default_rng(seed)
        return [source(rng) for _ in range(200)]

    assert draw(5) == draw(5)
    assert draw(5) != draw(6)


def test_a_template_fills_its_place_slots_from_one_place() -> None:
    districts = {row[1:] for row in TABLE}
    rng = np.random.default_rng(0)
    for _ in range(300):
        district, province, postcode = fill("{district}|{province}|{postcode}", rng).split("|")
        khet = "เขต" + district if province == "กรุงเทพมหานคร" else district
        assert (khet, province, postcode) in districts, (district, province, postcode)


@pytest.mark.parametrize("sources", [None, {"address_line": 1.0, "address": 1.0, "form_label": 1.0}])
def test_a_real_build_still_works(tmp_path: Path, sources: dict[str, float] | None) -> None:
    """The default recipe, and the same with only the address and form-label sources: built, lint-clean, and
    every address label's pieces are one place of geothai's."""
    overrides = {"count": 24, "seed": 5} | ({"sources": sources} if sources else {})
    out = tmp_path / "d"
    build(make_config(**overrides), out, workers=1, progress=False)
    assert lint_dataset(out) == []
    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(samples) == 24
    if sources:
        assert {s["category"] for s in samples} == set(sources)
        postcodes = {row[3] for row in TABLE}
        for sample in samples:
            if sample["category"] != "form_label":
                assert re.search(r"\d{5}$", sample["label"]) is None or sample["label"][-5:] in postcodes
