"""Document phrases by template (letters, receipts, invoices, forms, labels, signs, notices, bank slips,
mixed Thai/Latin lines) from ``corpora/phrases_th.txt``, their slots filled by the other sources; and the field
names forms print beside their values."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import numpy as np

from thaigen.text.addresses import Place, draw_place
from thaigen.text.lexicon import words_by_tag
from thaigen.text.sources import (
    CorpusError,
    address,
    amount,
    choice,
    corpus,
    corpus_path,
    date,
    digits,
    family_names,
    given_names,
    integer,
    letters,
    mobile,
    name,
    national_id,
    randint,
    time,
    to_thai_digits,
)

TRIES = 12
"""Fills tried for a line within the budget before the shortest is returned."""
SLOT = re.compile(r"\{(\w+)\}")

_ROLES = ("ผู้อำนวยการ", "หัวหน้า", "นายก", "ปลัด", "ประธาน", "อธิการบดี", "ผู้จัดการ")
_ORG_KINDS = ("กรม", "สำนักงาน", "กอง", "โรงเรียน", "โรงพยาบาล", "เทศบาล", "มหาวิทยาลัย", "ศูนย์")
_BANKS = ("กรุงเทพ", "กสิกรไทย", "กรุงไทย", "ไทยพาณิชย์", "กรุงศรี", "ทหารไทยธนชาต", "ออมสิน", "ธ.ก.ส.")
_BRANDS = (
    "Samsung",
    "Apple",
    "Xiaomi",
    "OPPO",
    "Sony",
    "Nestle",
    "Lactasoy",
    "Mama",
    "Toyota",
    "Honda",
    "Canon",
    "Lenovo",
    "Huawei",
    "Dutch Mill",
    "Oishi",
    "Singha",
    "CP",
    "Lotus's",
    "7-Eleven",
)
_NATIONALITIES = ("ไทย", "ลาว", "พม่า", "กัมพูชา", "จีน", "ญี่ปุ่น", "อังกฤษ", "อเมริกัน")
_OCCUPATIONS = (
    "รับราชการ",
    "ค้าขาย",
    "พนักงานบริษัท",
    "เกษตรกร",
    "นักเรียน",
    "รับจ้างทั่วไป",
    "แม่บ้าน",
    "ธุรกิจส่วนตัว",
    "ครู",
    "แพทย์",
    "พยาบาล",
    "วิศวกร",
)
_RELATIONS = ("บิดา", "มารดา", "สามี", "ภรรยา", "บุตร", "พี่สาว", "น้องชาย", "ญาติ", "เพื่อน")
_UNITS_TH = ("ชิ้น", "กล่อง", "ขวด", "แพ็ค", "ถุง", "ซอง", "กิโลกรัม", "ลัง")
_SIZES = ("S", "M", "L", "XL", "250 ml", "500 ml", "1 ลิตร", "350 มล.", "1.5 L", "200 g", "1 kg")


FORM_LABELS: tuple[str, ...] = (
    "ชื่อ", "นามสกุล", "ชื่อ-นามสกุล", "ชื่อ-สกุล", "ชื่อ - นามสกุล", "ชื่อและนามสกุล", "คำนำหน้าชื่อ",
    "ชื่อ-นามสกุล (ภาษาไทย)", "ชื่อ-นามสกุล (ภาษาอังกฤษ)", "ชื่อ-นามสกุล (Name-Surname)", "ชื่อเดิม",
    "ที่อยู่", "ที่อยู่ปัจจุบัน", "ที่อยู่ตามทะเบียนบ้าน", "ที่อยู่ที่ติดต่อได้", "ที่อยู่ (Address)",
    "เลขที่", "หมู่ที่", "ซอย", "ถนน", "ตำบล/แขวง", "อำเภอ/เขต", "จังหวัด", "รหัสไปรษณีย์",
    "เลขประจำตัวประชาชน", "เลขบัตรประจำตัวประชาชน", "เลขประจำตัวผู้เสียภาษี", "เลขที่หนังสือเดินทาง",
    "วันเดือนปีเกิด", "วัน/เดือน/ปีเกิด", "วันเกิด", "อายุ", "เพศ", "สถานที่เกิด", "สถานภาพ", "หมู่โลหิต",
    "เบอร์โทรศัพท์", "โทรศัพท์", "โทรศัพท์มือถือ", "หมายเลขโทรศัพท์", "โทรสาร", "อีเมล", "อีเมล (E-mail)",
    "อาชีพ", "ตำแหน่ง", "สังกัด", "หน่วยงาน", "สถานที่ทำงาน", "รายได้ต่อเดือน", "ระดับการศึกษา", "สถานศึกษา",
    "สัญชาติ", "เชื้อชาติ", "ศาสนา", "ชื่อบิดา", "ชื่อมารดา", "ชื่อคู่สมรส", "จำนวนบุตร",
    "ผู้ติดต่อกรณีฉุกเฉิน", "ความสัมพันธ์", "ความเกี่ยวข้องกับผู้ยื่นคำขอ",
    "วันที่", "ลงวันที่", "วันที่ออกบัตร", "วันหมดอายุ", "วันที่ยื่นคำขอ", "เรื่อง", "เรียน", "หมายเหตุ",
    "เลขที่บัญชี", "ชื่อบัญชี", "ธนาคาร", "สาขา", "จำนวนเงิน", "จำนวนเงิน (ตัวอักษร)", "วัตถุประสงค์",
    "ลายมือชื่อ", "ลงชื่อ", "ลายมือชื่อผู้ยื่นคำขอ", "ผู้ยื่นคำขอ", "ผู้รับมอบอำนาจ", "พยาน", "ผู้ตรวจสอบ",
    "ผู้อนุมัติ", "เจ้าหน้าที่", "ผู้รับเงิน",
)  # fmt: skip
"""Field names as Thai forms print them (applications, registrations, bank and government forms)."""


def _word(tag: str) -> Callable[[np.random.Generator], str]:
    return lambda rng: words_by_tag()[tag].draw(rng)


def _org(rng: np.random.Generator) -> str:
    return choice(rng, _ORG_KINDS) + words_by_tag()["NOUN"].draw(rng)


def _company(rng: np.random.Generator) -> str:
    latin = choice(rng, corpus("latin_words.txt")).capitalize()
    return choice(rng, (latin, words_by_tag()["NOUN"].draw(rng) + words_by_tag()["ADJ"].draw(rng)))


_DOMAINS = (".com", ".co.th", ".shop", ".in.th", ".or.th", ".net", ".ac.th")


def _handle(rng: np.random.Generator) -> str:
    """A web or mail handle: a romanized name, sometimes joined to another or to digits."""
    handle = choice(rng, corpus("latin_words.txt"))
    tail = rng.random()
    if tail < 0.35:
        return handle + choice(rng, (".", "_", "")) + choice(rng, corpus("latin_words.txt"))
    return handle + digits(rng, randint(rng, 1, 4)) if tail < 0.7 else handle


def _thai_or_arabic(text: str, rng: np.random.Generator, share: float = 0.15) -> str:
    return to_thai_digits(text) if rng.random() < share else text


def _dmy(rng: np.random.Generator) -> str:
    text = f"{randint(rng, 1, 28):02d}/{randint(rng, 1, 12):02d}/{randint(rng, 2560, 2569)}"
    return _thai_or_arabic(text, rng)


def _hm(rng: np.random.Generator) -> str:
    return f"{randint(rng, 0, 23):02d}:{randint(rng, 0, 59):02d}"


PLACE_SLOTS: dict[str, Callable[[Place, np.random.Generator], str]] = {
    "district": lambda place, rng: place.district,
    "postcode": lambda place, rng: choice(rng, place.postcodes),
    "province": lambda place, rng: place.province,
}
"""Slot name -> filler from a place: a fill draws one place for all of its template's place slots, so its
district, province and postcode belong together."""


def _on_its_own(slot: str) -> Callable[[np.random.Generator], str]:
    """A place slot's filler from a place of its own."""
    return lambda rng: PLACE_SLOTS[slot](draw_place(rng), rng)


SLOTS: dict[str, Callable[[np.random.Generator], str]] = {
    "account": lambda rng: f"{digits(rng, 3)}-{digits(rng, 1)}-{digits(rng, 5)}-{digits(rng, 1)}",
    "address": address,
    "adj": _word("ADJ"),
    "age": lambda rng: str(randint(rng, 1, 99)),
    "agency_code": lambda rng: f"{choice(rng, ('ศธ', 'มท', 'สธ', 'กค', 'อว', 'คค'))} {digits(rng, 4)}",
    "amount": amount,
    "bank": lambda rng: choice(rng, _BANKS),
    "be_year": lambda rng: _thai_or_arabic(str(randint(rng, 2560, 2569)), rng),
    "branch": lambda rng: digits(rng, 5),
    "brand": lambda rng: choice(rng, _BRANDS),
    "code": lambda rng: letters(rng, randint(rng, 2, 4)) + digits(rng, randint(rng, 2, 5)),
    "company": _company,
    "date": date,
    "days": lambda rng: str(choice(rng, (1, 3, 7, 15, 30))),
    "digits2": lambda rng: digits(rng, 2),
    "digits4": lambda rng: digits(rng, 4),
    "dmy": _dmy,
    "doc_no": lambda rng: f"{letters(rng, 2)}{randint(rng, 2560, 2569) % 100}{digits(rng, 6)}",
    "email": lambda rng: (
        f"{_handle(rng)}@{choice(rng, ('gmail.com', 'hotmail.com', 'outlook.co.th', 'ku.ac.th', 'go.th'))}"
    ),
    "ext": lambda rng: digits(rng, randint(rng, 3, 4)),
    "family": lambda rng: choice(rng, family_names()),
    "fda_no": lambda rng: f"{digits(rng, 2)}-{digits(rng, 1)}-{digits(rng, 5)}-{digits(rng, 1)}-{digits(rng, 4)}",
    "fee": lambda rng: f"{randint(rng, 0, 50)}.{choice(rng, ('00', '50'))}",
    "flight": lambda rng: f"{choice(rng, ('TG', 'FD', 'SL', 'DD', 'PG', 'WE'))}{randint(rng, 100, 999)}",
    "floor": lambda rng: _thai_or_arabic(str(randint(rng, 1, 40)), rng),
    "gb": lambda rng: str(choice(rng, (1, 5, 10, 15, 30, 50, 100))),
    "given": lambda rng: choice(rng, given_names(rng.random() < 0.5)),
    "hm": _hm,
    "hms": lambda rng: f"{_hm(rng)}:{randint(rng, 0, 59):02d}",
    "int": lambda rng: str(integer(rng, 4)),
    "item": lambda rng: words_by_tag()["NOUN"].draw(rng) + choice(rng, ("", " ", " " + choice(rng, _SIZES))),
    "latin": _handle,
    "model": lambda rng: f"{letters(rng, 1)}{randint(rng, 1, 99)}{choice(rng, ('', ' Pro', ' Plus', 'x', 's'))}",
    "name": name,
    "nationality": lambda rng: choice(rng, _NATIONALITIES),
    "nid": national_id,
    "noun": _word("NOUN"),
    "occupation": lambda rng: choice(rng, _OCCUPATIONS),
    "org": _org,
    "percent": lambda rng: str(choice(rng, (3, 5, 7, 10, 15, 20, 25, 30, 50, 70))),
    "phone_plain": mobile,
    "pos_no": lambda rng: f"POS{digits(rng, 2)}",
    "product": lambda rng: words_by_tag()["NOUN"].draw(rng) + words_by_tag()["ADJ"].draw(rng),
    "promo": lambda rng: letters(rng, randint(rng, 3, 6)) + digits(rng, 2),
    "qty": lambda rng: str(randint(rng, 1, 24)),
    "ref": lambda rng: letters(rng, 4) + digits(rng, 8),
    "relation": lambda rng: choice(rng, _RELATIONS),
    "road": lambda rng: choice(rng, corpus("roads.txt")),
    "role": lambda rng: choice(rng, _ROLES),
    "size": lambda rng: choice(rng, _SIZES),
    "sku": lambda rng: f"{letters(rng, 3)}-{digits(rng, 4)}",
    "soi": lambda rng: str(randint(rng, 1, 120)),
    "tax_id": lambda rng: digits(rng, 13),
    "time": time,
    "unit_th": lambda rng: choice(rng, _UNITS_TH),
    "url": lambda rng: f"{choice(rng, ('www.', 'https://', ''))}{_handle(rng)}{choice(rng, _DOMAINS)}",
    "verb": _word("VERB"),
    "version": lambda rng: f"{randint(rng, 1, 9)}.{randint(rng, 0, 20)}.{randint(rng, 0, 9)}",
    "watts": lambda rng: str(choice(rng, (10, 18, 20, 25, 33, 45, 65, 120))),
    **{slot: _on_its_own(slot) for slot in PLACE_SLOTS},
}
"""Slot name -> filler (a place slot's from a place of its own; :func:`fill` gives a template's one place)."""


@functools.cache
def templates() -> tuple[tuple[str, str], ...]:
    """(domain, template) pairs of corpora/phrases_th.txt.

    Raises:
        CorpusError: a line is not DOMAIN | TEMPLATE, names an unknown slot, or has none.
    """
    path = corpus_path("phrases_th.txt")
    pairs = []
    for line in corpus("phrases_th.txt"):
        domain, bar, template = line.partition(" | ")
        slots = SLOT.findall(template)
        unknown = sorted(set(slots) - set(SLOTS))
        if not bar or not slots or unknown:
            raise CorpusError(
                f"{path}: bad template line {line!r} (need DOMAIN | TEMPLATE with known slots; {unknown})"
            )
        pairs.append((domain, template))
    return tuple(pairs)


def fill(template: str, rng: np.random.Generator) -> str:
    """`template` with each slot replaced by a fresh draw of its filler, the place slots (PLACE_SLOTS) all
    from one place drawn first."""
    place = draw_place(rng) if PLACE_SLOTS.keys() & set(SLOT.findall(template)) else None

    def draw(match: re.Match[str]) -> str:
        slot = match.group(1)
        return SLOTS[slot](rng) if place is None or slot not in PLACE_SLOTS else PLACE_SLOTS[slot](place, rng)

    return " ".join(SLOT.sub(draw, template).split())


@functools.cache
def _labels_within(budget: int) -> tuple[str, ...]:
    """The FORM_LABELS of at most `budget` code points (the shortest when none is)."""
    return tuple(label for label in FORM_LABELS if len(label) <= budget) or (min(FORM_LABELS, key=len),)


def form_label(rng: np.random.Generator, budget: int) -> str:
    """A form's field name (:data:`FORM_LABELS`) within `budget` code points, sometimes numbered ('3. อาชีพ')
    or ending in a colon as printed forms write them; the shortest name when none fits."""
    label = choice(rng, _labels_within(budget))
    if rng.random() < 0.3 and len(label) < budget:
        label += ":"
    number = f"{randint(rng, 1, 20)}. "
    return number + label if rng.random() < 0.1 and len(number + label) <= budget else label


def phrase(rng: np.random.Generator, budget: int, mixed: bool = False) -> str:
    """A filled document template (of the `mixed` domain, or of all others) that fits `budget` code
    points, else the shortest of TRIES fills."""
    pool = [template for domain, template in templates() if (domain == "mixed") == mixed]
    made = []
    for _ in range(TRIES):
        text = fill(choice(rng, pool), rng)
        if len(text) <= budget:
            return text
        made.append(text)
    return min(made, key=len)
