"""Recognition metrics: line accuracy, CER, PaddleOCR's normalized edit distance, Thai WER, confusions.

Texts are compared as given, code point by code point: never NFKC, which would turn ำ (U+0E33) into
ํ + า. A line whose only difference is ำ written as ํ + า is counted and reported separately.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from pythainlp.tokenize import word_tokenize
from rapidfuzz.distance import Levenshtein

SARA_AM = "\u0e33"
NIKHAHIT_SARA_AA = "\u0e4d\u0e32"
"""ํ + า: how Tesseract (and NFKC) writes SARA AM."""
WORD_ENGINE = "newmm"
"""pythainlp's dictionary-based maximal matching: offline, deterministic."""
NOTHING = ""
"""The missing side of an insertion or deletion in a confusion."""


def fold_sara_am(text: str) -> str:
    """`text` with every ํ + า written as ำ (the composed form thaigen labels use)."""
    return text.replace(NIKHAHIT_SARA_AA, SARA_AM)


@lru_cache(maxsize=65536)
def thai_words(text: str) -> tuple[str, ...]:
    """Words of `text` by pythainlp's newmm segmentation, spaces dropped."""
    return tuple(word_tokenize(text, engine=WORD_ENGINE, keep_whitespace=False))


@dataclass(frozen=True)
class LineScore:
    """One line's truth, an engine's reading of it, and the edit counts behind every metric."""

    truth: str
    prediction: str
    confidence: float
    char_edits: int
    """Levenshtein distance in code points."""
    paddle_distance: float
    """Normalized distance with spaces removed: ED / max(len), as PaddleOCR's RecMetric adds it up."""
    words: int
    word_edits: int

    @property
    def exact(self) -> bool:
        """Prediction equals truth, code point for code point."""
        return self.prediction == self.truth

    @property
    def exact_ignoring_space(self) -> bool:
        """Equal once spaces are removed (PaddleOCR's RecMetric 'acc' with its default ignore_space)."""
        return self.prediction.replace(" ", "") == self.truth.replace(" ", "")

    @property
    def sara_am_only(self) -> bool:
        """Wrong only because ำ is written as ํ + า (on either side)."""
        return not self.exact and fold_sara_am(self.prediction) == fold_sara_am(self.truth)

    @property
    def error_rate(self) -> float:
        """Character edits per truth code point (1 for a wrong reading of an empty truth)."""
        return self.char_edits / len(self.truth) if self.truth else float(bool(self.prediction))


def score_line(truth: str, prediction: str, confidence: float) -> LineScore:
    """Compare one reading with its truth."""
    truth_words, predicted_words = thai_words(truth), thai_words(prediction)
    return LineScore(
        truth=truth,
        prediction=prediction,
        confidence=confidence,
        char_edits=Levenshtein.distance(truth, prediction),
        paddle_distance=Levenshtein.normalized_distance(truth.replace(" ", ""), prediction.replace(" ", "")),
        words=len(truth_words),
        word_edits=Levenshtein.distance(truth_words, predicted_words),
    )


@dataclass(frozen=True)
class Summary:
    """Metrics over a set of lines (rates in [0, 1])."""

    lines: int
    line_accuracy: float
    """Exact match, spaces included."""
    line_accuracy_ignoring_space: float
    """Exact match once spaces are removed (PaddleOCR's RecMetric acc)."""
    line_accuracy_sara_am_folded: float
    """Exact match once ํ + า counts as ำ."""
    sara_am_only_lines: int
    """Lines wrong only through ำ vs ํ + า."""
    cer: float
    """Character edits over truth code points."""
    paddleocr_norm_edit_dis: float
    """1 - mean(ED / max(len)) with spaces removed, as PaddleOCR's RecMetric reports norm_edit_dis."""
    wer: float
    """Word edits over truth words (pythainlp newmm segmentation)."""
    mean_confidence: float


def _rate(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def summarize(scores: Sequence[LineScore]) -> Summary:
    """Aggregate line scores (zeros for no lines)."""
    count = len(scores)
    return Summary(
        lines=count,
        line_accuracy=_rate(sum(s.exact for s in scores), count),
        line_accuracy_ignoring_space=_rate(sum(s.exact_ignoring_space for s in scores), count),
        line_accuracy_sara_am_folded=_rate(sum(s.exact or s.sara_am_only for s in scores), count),
        sara_am_only_lines=sum(s.sara_am_only for s in scores),
        cer=_rate(sum(s.char_edits for s in scores), sum(len(s.truth) for s in scores)),
        paddleocr_norm_edit_dis=1.0 - _rate(sum(s.paddle_distance for s in scores), count) if count else 0.0,
        wer=_rate(sum(s.word_edits for s in scores), sum(s.words for s in scores)),
        mean_confidence=_rate(sum(s.confidence for s in scores), count),
    )


def confusions(scores: Iterable[LineScore], top: int) -> list[tuple[str, str, int]]:
    """The `top` most frequent (truth character, predicted character, count) edits; '' marks nothing."""
    counts: Counter[tuple[str, str]] = Counter()
    for s in scores:
        for op in Levenshtein.editops(s.truth, s.prediction):
            source = s.truth[op.src_pos] if op.tag != "insert" else NOTHING
            target = s.prediction[op.dest_pos] if op.tag != "delete" else NOTHING
            counts[(source, target)] += 1
    return [(source, target, n) for (source, target), n in counts.most_common(top)]
