"""Page layouts: where the text lines, fields, tables, stamps and photo areas of a detection page go.

A layout draws onto a Page through `Typeset`, which shapes a text from given sources, a given text, or a
line of running prose filling a width, at a given line box and width (or reports that none fits). Rows
advance by each line's full line box plus a gap, so no line's ink can reach into another line's polygon;
furniture (rules, field boxes, table grids) is kept clear of the polygons. A layout also marks what it
knows of its lines' meaning (headers, field labels and their values, linked) for key-information labels.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from thaigen.compose.page import RGB, Ink, Page, PageLine, luma


class Typeset(Protocol):
    """Shapes a page's texts at line box `box_px`, at most `max_width` px wide (None when none fits)."""

    def __call__(
        self, sources: Mapping[str, float] | None, box_px: int, max_width: float, bold: bool | None = None
    ) -> Ink | None:
        """A text drawn from `sources` (None: the config's)."""

    def exact(self, text: str, category: str, box_px: int, max_width: float, bold: bool | None = None) -> Ink | None:
        """`text` itself, labelled as made by `category`."""

    def prose(self, box_px: int, max_width: float) -> Ink | None:
        """Running prose that fills `max_width`, cut at a word boundary."""


LABELS = {"thai_word": 1.0}
FIELD_NAMES = {"form_label": 1.0}
"""Source of a form's or card's field labels (ชื่อ-นามสกุล, ที่อยู่ ...)."""
CELLS = {"thai_word": 3.0, "price": 1.0, "date": 1.0, "arabic_digits": 1.0, "name": 1.0}
STAMP_COLORS: tuple[RGB, ...] = ((178, 34, 44), (32, 58, 160), (120, 30, 140))
FINE_PRINT_BOX_PX = (7, 10)
"""Line box of fine print, px: ink of 4-7 px, unreadable, labelled `###`."""


class Role(enum.Enum):
    """What a line is to a reader of the page (its key-information label)."""

    HEADER = "header"
    QUESTION = "question"
    """A field's name: a form or card label, a receipt's item name or summary word."""
    ANSWER = "answer"
    """A field's value: what was written beside the label, an item's amount."""
    OTHER = "other"
    """Any other line (the role of lines a layout does not mark)."""


@dataclass
class Layout:
    """What a layout draws with: the page, its area, draws, text and colours."""

    page: Page
    area: tuple[int, int, int, int]
    """x0, y0, x1, y1 of the paper (the whole image unless the page lies on a scene)."""
    rng: np.random.Generator
    typeset: Typeset
    text_px: int
    """Body line box, px."""
    ink: RGB
    accent: RGB | None
    """Stamp colour (None on light-on-dark pages: the text colour is used)."""
    fine_print: bool
    roles: dict[int, Role] = field(default_factory=dict)
    """Line number (in page.lines) -> its role, for the lines a layout knows the meaning of."""
    links: list[tuple[int, int]] = field(default_factory=list)
    """(question, answer) line numbers: which value belongs to which label."""

    def u(self, low: float, high: float) -> float:
        return float(self.rng.uniform(low, high))

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def gap(self, box_px: int) -> int:
        """Space between one row's line box and the next: polygons' margins plus some air."""
        return math.ceil(2 * self.page.margin * box_px) + 2 + round(box_px * self.u(0.05, 0.45))

    def write(
        self, x: float, top: int, width: float, box_px: int, element: str, sources: Mapping[str, float] | None = None,
        *, bold: bool | None = None, align: str = "left", color: RGB | None = None,
    ) -> PageLine | None:
        """One text line in [x, x + width) with its line box top at `top`; None when no text fits."""
        ink = self.typeset(sources, box_px, width, bold)
        if ink is None:
            return None
        left = {"left": x, "right": x + width - ink.width, "center": x + (width - ink.width) / 2}[align]
        return self.page.place(ink, round(left), top, element, color or self.ink)

    def prose(self, x: float, top: int, width: float, box_px: int, element: str) -> PageLine | None:
        """One line of running prose filling [x, x + width) with its line box top at `top`."""
        ink = self.typeset.prose(box_px, width)
        return None if ink is None else self.page.place(ink, round(x), top, element, self.ink)

    def fine(self, bottom: int) -> int:
        """A line of fine print just above `bottom` when the page has some; returns the new bottom."""
        if not self.fine_print:
            return bottom
        x0, _, x1, _ = self.inner()
        box_px = int(self.rng.integers(FINE_PRINT_BOX_PX[0], FINE_PRINT_BOX_PX[1] + 1))
        ink = self.typeset(None, box_px, x1 - x0)
        if ink is None:
            return bottom
        top = bottom - box_px
        self.page.place(ink, x0, top, "fine_print", self.ink, illegible=True)
        return top - self.gap(box_px)

    def mark(self, line: PageLine | None, role: Role) -> None:
        """Record `line`'s role (nothing when no line was drawn)."""
        if line is not None:
            self.roles[self._number(line)] = role

    def pair(self, question: PageLine | None, answer: PageLine | None) -> None:
        """Mark a label and its value, and link them when both were drawn."""
        self.mark(question, Role.QUESTION)
        self.mark(answer, Role.ANSWER)
        if question is not None and answer is not None:
            self.links.append((self._number(question), self._number(answer)))

    def _number(self, line: PageLine) -> int:
        return next(i for i in range(len(self.page.lines) - 1, -1, -1) if self.page.lines[i] is line)

    def inner(self, share: float = 0.07) -> tuple[int, int, int, int]:
        """The area less a margin of `share` of its width on every side."""
        x0, y0, x1, y1 = self.area
        pad = round((x1 - x0) * share)
        return x0 + pad, y0 + pad, x1 - pad, y1 - pad


def _rule_under(layout: Layout, line: PageLine, right: float, dotted: bool) -> None:
    """An underline (or dotted leader) below a line's polygon, from its left edge to `right`."""
    y = math.ceil(float(line.points[:, 1].max())) + 2
    thickness = max(1, round(line.box_px * 0.05))
    layout.page.rule((round(float(line.points[0][0])), y), (round(right), y), thickness, layout.ink,
                     dashed=max(2, line.box_px // 6) if dotted else 0)


def document(layout: Layout) -> None:
    """A letter or report: a heading, an optional dated subtitle, 1-2 columns of paragraphs (lines of running
    prose as wide as the column, the last one shorter, the first indented on some pages) and subheadings."""
    x0, y, x1, bottom = layout.inner(layout.u(0.05, 0.1))
    bottom = layout.fine(bottom)
    body = layout.text_px
    heading_px = round(body * layout.u(1.5, 2.2))
    head = layout.write(x0, y, x1 - x0, heading_px, "heading", bold=True, align="center" if layout.chance(0.5) else "left")
    layout.mark(head, Role.HEADER)
    y += heading_px + layout.gap(heading_px)
    if head is not None and layout.chance(0.5):
        layout.write(x0, y, x1 - x0, body, "date", {"date": 1.0}, align="right")
        y += body + layout.gap(body)
    columns = 2 if layout.chance(0.4) else 1
    gutter = round(body * layout.u(1.0, 2.0))
    width = ((x1 - x0) - gutter * (columns - 1)) / columns
    indent = round(body * layout.u(1.5, 3.0)) if layout.chance(0.6) else 0
    leading, spacing = layout.gap(body), round(body * layout.u(0.0, 0.8))  # between lines, between paragraphs
    rows = 0  # rows left in the current paragraph
    while y + body <= bottom:
        first = rows == 0
        if first:
            rows = int(layout.rng.integers(2, 9))
            if layout.chance(0.2):
                heading_px = round(body * layout.u(1.15, 1.4))
                for c in range(columns):
                    sub = layout.write(x0 + c * (width + gutter), y, width, heading_px, "subheading", bold=True)
                    layout.mark(sub, Role.HEADER)
                y += heading_px + layout.gap(heading_px)
                if y + body > bottom:
                    break
        rows -= 1
        start = indent if first else 0
        share = 1.0 if rows else layout.u(0.15, 0.85)  # a paragraph's last line ends short
        for c in range(columns):
            layout.prose(x0 + c * (width + gutter) + start, y, (width - start) * share, body, "body")
        y += body + leading + (0 if rows else spacing)


def _field(layout: Layout, x0: float, x1: float, y: int, box_px: int) -> None:
    """`label: value` with the value plain, underlined, dotted or in a box."""
    label = layout.write(x0, y, (x1 - x0) * 0.45, box_px, "label", FIELD_NAMES, bold=layout.chance(0.4))
    if label is None:
        return
    start = float(label.points[1][0]) + box_px * layout.u(0.4, 1.0)
    kind = str(layout.rng.choice(["plain", "underline", "dotted", "box"]))
    pad = math.ceil(box_px * 0.25) + 2
    if kind == "box":
        inset = start + pad
        value = layout.write(inset, y, x1 - inset - pad, box_px, "value")
        layout.pair(label, value)
        top = round(y - pad / 2) if value is None else math.floor(float(value.points[:, 1].min())) - pad
        low = y + box_px + pad if value is None else math.ceil(float(value.points[:, 1].max())) + pad
        layout.page.box(round(start), top, round(x1), low, max(1, round(box_px * 0.05)), layout.ink)
        return
    value = layout.write(start, y, x1 - start, box_px, "value")
    layout.pair(label, value)
    if value is not None and kind != "plain":
        _rule_under(layout, value, x1, dotted=kind == "dotted")


def _table(layout: Layout, x0: float, x1: float, y: int, box_px: int, bottom: int) -> int:
    """A ruled table with a bold header row; returns the y below it."""
    columns = int(layout.rng.integers(2, 5))
    rows = int(layout.rng.integers(2, 6))
    pad = math.ceil(box_px * 0.3) + 2
    row_h = box_px + 2 * pad
    rows = min(rows, (bottom - y) // row_h - 1)
    if rows < 1:
        return y
    cell = (x1 - x0) / columns
    thickness = max(1, round(box_px * 0.05))
    for r in range(rows + 1):
        top = y + r * row_h + pad
        for c in range(columns):
            sources = LABELS if r == 0 else CELLS
            line = layout.write(x0 + c * cell + pad, top, cell - 2 * pad, box_px, "header" if r == 0 else "cell", sources,
                                bold=r == 0 or None, align="left" if c == 0 else "right")
            if r == 0:
                layout.mark(line, Role.HEADER)
    end = y + (rows + 1) * row_h
    for r in range(rows + 2):
        layout.page.rule((round(x0), y + r * row_h), (round(x1), y + r * row_h), thickness, layout.ink)
    for c in range(columns + 1):
        layout.page.rule((round(x0 + c * cell), y), (round(x0 + c * cell), end), thickness, layout.ink)
    return end


def _stamp(layout: Layout, x0: float, x1: float, y: int, bottom: int) -> None:
    """A rotated stamp of other text in its own colour, framed, in the free space left at the bottom."""
    box_px = round(layout.text_px * layout.u(1.2, 1.8))
    if bottom - y < 3 * box_px:
        return
    ink = layout.typeset({"thai_word": 2.0, "date": 1.0}, box_px, (x1 - x0) * 0.5, True)
    if ink is None:
        return
    degrees = layout.u(-25, 25)
    color = layout.accent or layout.ink
    center = (layout.u(x0 + ink.width / 2 + box_px, x1 - ink.width / 2 - box_px), (y + bottom) / 2)
    line = layout.page.place_rotated(ink, center, degrees, "stamp", color)
    middle = line.points.mean(axis=0)
    frame = middle + (line.points - middle) * np.array([1.0 + 0.6 * box_px / max(ink.width, 1), 1.5], dtype=np.float32)
    thickness = max(2, round(box_px * 0.08))
    for a, b in zip(frame, np.roll(frame, -1, axis=0)):
        layout.page.rule((round(float(a[0])), round(float(a[1]))), (round(float(b[0])), round(float(b[1]))), thickness, color)


def form(layout: Layout) -> None:
    """A form: a title, rows of fields (one or two per row), a table, and perhaps a stamp."""
    x0, y, x1, bottom = layout.inner(layout.u(0.05, 0.09))
    bottom = layout.fine(bottom)
    box_px = layout.text_px
    title_px = round(box_px * layout.u(1.4, 2.0))
    layout.mark(layout.write(x0, y, x1 - x0, title_px, "title", bold=True, align="center"), Role.HEADER)
    y += title_px + layout.gap(title_px) + box_px // 2
    table_done = False
    stamp = layout.chance(0.5)
    reserve = 4 * box_px if stamp else 0
    while y + box_px <= bottom - reserve:
        if not table_done and layout.chance(0.15):
            y = _table(layout, x0, x1, y, box_px, bottom - reserve) + layout.gap(box_px)
            table_done = True
            continue
        pair = layout.chance(0.35)
        middle = x0 + (x1 - x0) / 2
        _field(layout, x0, middle - box_px if pair else x1, y, box_px)
        if pair:
            _field(layout, middle + box_px, x1, y, box_px)
        y += box_px + layout.gap(box_px) + math.ceil(box_px * 0.3) + 2
    if stamp:
        _stamp(layout, x0, x1, y, bottom)


SUMMARY_WORDS: dict[str, tuple[str, ...]] = {
    "subtotal": ("รวม", "ยอดรวม", "รวมเงิน", "รวมเป็นเงิน", "SUBTOTAL"),
    "net": ("มูลค่าสินค้า", "มูลค่าก่อนภาษี", "ราคาไม่รวมภาษี", "NET"),
    "vat": ("ภาษีมูลค่าเพิ่ม 7%", "VAT 7%", "ภาษี 7%", "VAT 7.00%"),
    "total": ("รวมทั้งสิ้น", "ยอดสุทธิ", "รวมสุทธิ", "ทั้งหมด", "TOTAL"),
    "cash": ("เงินสด", "รับเงิน", "CASH"),
    "change": ("เงินทอน", "ทอน", "CHANGE"),
}
"""Words printed beside each summary amount of a receipt, by the amount's element."""
VAT_PERCENT = 7
BANKNOTES = (20, 50, 100, 500, 1000)
"""Thai banknotes, baht: the cash handed over is the total rounded up to a multiple of one of them."""


def baht(satang: int) -> str:
    """An amount as Thai receipts print it: 1,234.50."""
    return f"{satang // 100:,}.{satang % 100:02d}"


def vat_of(satang: int, included: bool) -> int:
    """7 % VAT of an amount, in satang rounded half up: on top of it, or (`included`) inside it (7/107)."""
    base = 100 if not included else 100 + VAT_PERCENT
    return (2 * satang * VAT_PERCENT + base) // (2 * base)


def _unit_price(layout: Layout) -> int:
    """A unit price in satang: 10-2,000 baht (log-uniform), mostly whole or half baht."""
    whole = round(math.exp(layout.u(math.log(10), math.log(2000))))
    draw = layout.rng.random()
    if draw < 0.6:
        return 100 * whole
    if draw < 0.8:
        return 100 * whole + 50
    return 100 * whole + (25 * int(layout.rng.choice([1, 3])) if draw < 0.9 else int(layout.rng.integers(1, 100)))


def _summary(layout: Layout, items: int) -> list[tuple[str, int]]:
    """(element, satang) of a receipt's summary rows below items adding up to `items` satang."""
    mode = str(layout.rng.choice(["plain", "added", "included"]))
    if mode == "added":
        vat = vat_of(items, included=False)
        rows = [("subtotal", items), ("vat", vat), ("total", items + vat)]
    elif mode == "included":
        vat = vat_of(items, included=True)
        rows = [("total", items), ("net", items - vat), ("vat", vat)]
    else:
        rows = [("total", items)]
    total = dict(rows)["total"]
    if layout.chance(0.5):
        note = 100 * BANKNOTES[int(layout.rng.integers(len(BANKNOTES)))]
        cash = -(-total // note) * note
        rows += [("cash", cash), ("change", cash - total)]
    return rows


def receipt(layout: Layout) -> None:
    """A thermal receipt: shop header, date and time, items (name, quantity x unit price, amount), then the
    sums (subtotal, 7 % VAT added or included, total, cash and change), all adding up, and a footer.

    An item counts towards the sums only when its amount (and quantity line) fit; all amounts are exact texts.
    """
    x0, y, x1, bottom = layout.inner(layout.u(0.04, 0.08))
    bottom = layout.fine(bottom)
    width = x1 - x0
    box_px = max(16, min(round(layout.text_px * layout.u(0.6, 0.8)), round(width / layout.u(14, 20))))
    dash = max(3, box_px // 4)
    typeset = layout.typeset

    def separator(top: int) -> int:
        middle = top + box_px // 3
        layout.page.rule((x0, middle), (x1, middle), max(1, box_px // 14), layout.ink, dashed=dash)
        return top + 2 * (box_px // 3) + 2

    def amount(satang: int, element: str, top: int, px: int, bold: bool | None = None) -> PageLine | None:
        """`satang` right-aligned on the row at `top` (None when it does not fit)."""
        ink = typeset.exact(baht(satang), "price", px, width * 0.4, bold)
        return None if ink is None else layout.page.place(ink, round(x1 - ink.width), top, element, layout.ink)

    header_px = round(box_px * layout.u(1.3, 1.8))
    shop = layout.write(x0, y, width, header_px, "shop", {"thai_word": 2.0, "name": 1.0}, bold=True, align="center")
    layout.mark(shop, Role.HEADER)
    y += header_px + layout.gap(header_px)
    for sources in ({"address": 1.0}, {"phone": 1.0}):
        layout.write(x0, y, width, box_px, "header", sources, align="center")
        y += box_px + layout.gap(box_px)
    y = separator(y)
    layout.write(x0, y, width / 2, box_px, "date", {"date": 1.0})
    layout.write(x0 + width / 2, y, width / 2, box_px, "time", {"time": 1.0}, align="right")
    y += box_px + layout.gap(box_px)
    y = separator(y)
    times = str(layout.rng.choice(["x", "@", "X"]))
    total_px = round(box_px * 1.2)
    pitch = box_px + layout.gap(box_px)
    reserve = 5 * pitch + total_px
    items = 0
    while y + 2 * pitch <= bottom - reserve:
        quantity = 1 if layout.chance(0.65) else int(layout.rng.integers(2, 7))
        unit = _unit_price(layout)
        if quantity > 1:
            line = typeset.exact(f"{quantity} {times} {baht(unit)}", "quantity", box_px, width * 0.55)
            price = None if line is None else amount(quantity * unit, "price", y + pitch, box_px)
            if line is None or price is None:
                break
            detail = layout.page.place(line, round(x0 + box_px), y + pitch, "quantity", layout.ink)
            item = layout.write(x0, y, width, box_px, "item", {"thai_word": 4.0, "mixed": 1.0})
            layout.pair(item, detail)
            y += 2 * pitch
        else:
            price = amount(unit, "price", y, box_px)
            if price is None:
                break
            item = layout.write(x0, y, width * 0.55, box_px, "item", {"thai_word": 4.0, "mixed": 1.0})
            y += pitch
        layout.pair(item, price)
        items += quantity * unit
    y = separator(y)
    for element, satang in _summary(layout, items):
        px = total_px if element == "total" else box_px
        if y + px > bottom:
            break
        sum_line = amount(satang, element, y, px, bold=element == "total" or None)
        words = SUMMARY_WORDS[element]
        text = words[int(layout.rng.integers(len(words)))]
        ink = typeset.exact(text, "label", px, width * 0.55, bold=element == "total" or None)
        layout.pair(None if ink is None else layout.page.place(ink, x0, y, "label", layout.ink), sum_line)
        y += px + layout.gap(px)
    if y + box_px <= bottom:
        layout.write(x0, y, width, box_px, "footer", LABELS, align="center")


def id_card(layout: Layout) -> None:
    """A card: a title band, a photo area on one side, the ID number, and label/value fields."""
    x0, y, x1, bottom = layout.inner(layout.u(0.035, 0.06))
    width, height = x1 - x0, bottom - y
    box_px = max(16, round(height / layout.u(10, 13)))
    photo_w = round(width * layout.u(0.22, 0.3))
    photo_left = layout.chance(0.3)
    px0 = x0 if photo_left else x1 - photo_w
    title_px = round(box_px * layout.u(1.2, 1.6))
    title = layout.write(x0, y, width, title_px, "title", bold=True, align="center" if layout.chance(0.5) else "left")
    layout.mark(title, Role.HEADER)
    y += title_px + layout.gap(title_px)
    top_photo = y + box_px
    photo_h = min(round(photo_w * 1.25), bottom - top_photo)
    layout.page.photo(px0, top_photo, photo_w, photo_h, round(layout.u(150, 215)), round(luma(layout.ink) * 0.4 + 60))
    fx0 = x0 if not photo_left else x0 + photo_w + box_px
    fx1 = (x1 - photo_w - box_px) if not photo_left else x1
    id_px = round(box_px * layout.u(1.2, 1.5))
    layout.write(fx0, y, fx1 - fx0, id_px, "id_number", {"national_id": 1.0}, bold=True)
    y += id_px + layout.gap(id_px)
    values: tuple[Mapping[str, float], ...] = ({"name": 1.0}, {"mixed": 1.0}, {"date": 1.0}, {"address": 1.0}, {"date": 1.0})
    for sources in values:
        if y + box_px > bottom:
            break
        label_w = (fx1 - fx0) * 0.3
        label = layout.write(fx0, y, label_w, round(box_px * 0.8), "label", FIELD_NAMES)
        start = fx0 + label_w + box_px * 0.5 if label is None else float(label.points[1][0]) + box_px * 0.6
        layout.pair(label, layout.write(start, y, fx1 - start, box_px, "value", sources))
        y += box_px + layout.gap(box_px)


def sign(layout: Layout) -> None:
    """A sign or a photo of one: a few large lines, on panels or on the scene, some running off the edge."""
    x0, y0, x1, y1 = layout.area
    width, height = x1 - x0, y1 - y0
    count = int(layout.rng.integers(1, 5))
    band = height / count
    for i in range(count):
        box_px = min(round(layout.text_px * layout.u(1.8, 3.5)), round(band * 0.7))
        top = round(y0 + i * band + (band - box_px) * layout.u(0.2, 0.8))
        color = layout.ink
        if layout.chance(0.5):
            dark = luma(layout.ink) > 128
            panel: RGB = tuple(int(v) for v in layout.rng.integers(0, 70, 3)) if dark else tuple(int(v) for v in layout.rng.integers(190, 256, 3))  # type: ignore[assignment]
            band_top, band_bottom = round(y0 + i * band), round(y0 + (i + 1) * band)
            layout.page.fill(x0, max(band_top, top - box_px // 5), x1, min(band_bottom, top + box_px + box_px // 5), panel)
        cut = layout.chance(0.2)
        offset = -width * layout.u(0.1, 0.3) if cut else width * layout.u(0.04, 0.2)
        span = width * 1.2 if cut else width - 2 * offset
        layout.write(x0 + offset, top, span, box_px, "sign", bold=layout.chance(0.6), align="left" if cut else "center",
                     color=color)


LAYOUTS: dict[str, Callable[[Layout], None]] = {
    "document": document,
    "form": form,
    "receipt": receipt,
    "id_card": id_card,
    "sign": sign,
}
"""Layout name -> function drawing it."""

ASPECTS: dict[str, tuple[float, float, bool]] = {
    "document": (1 / 1.414, 1 / 1.414, False),
    "form": (1 / 1.414, 1 / 1.294, False),
    "receipt": (0.3, 0.45, False),
    "id_card": (1 / 1.586, 1 / 1.586, True),
    "sign": (0.56, 0.75, True),
}
"""Layout -> (short / long side range, landscape): A4 and letter paper, receipt rolls, ID-1 cards, photos."""
