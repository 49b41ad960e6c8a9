"""bench/meter.py, short: the evaluation sets come from other engines and fonts (and a print-and-scan path outside
thaigen), and one tiny run scores on them."""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

from thaigen.dataset.labels import read_labels
from thaigen.dataset.samples import read_records

METER = Path(__file__).resolve().parents[1] / "bench" / "meter.py"


def test_meter_smoke_run_builds_an_other_engine_eval_set_and_scores_per_category(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(METER), "--eval-count", "16", "--scanned-count", "6", "--count", "120", "--steps", "10",
         "--seeds", "0", "--name", "smoke", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    evals = tmp_path / "eval"
    lines = list(read_labels(evals / "val.txt"))
    records = list(read_records(evals / "samples.jsonl"))
    assert len(lines) == 16 and all(unicodedata.normalize("NFC", str(line.label)) == line.label for line in lines)
    assert {r["renderer"] for r in records} == {"pango", "chromium"}
    assert {r["category"] for r in records} == {"thai_words", "thai_long", "mixed", "digits"}
    assert not {r["font"] for r in records} & {"Noto Sans Thai", "Garuda", "Loma", "Waree"}  # fonts thaigen ships
    for line in lines:
        assert (evals / line.path).stat().st_size > 100
    scans = list(read_labels(tmp_path / "eval-scanned" / "val.txt"))
    scan_records = list(read_records(tmp_path / "eval-scanned" / "samples.jsonl"))
    assert len(scans) == 6 and all(10 <= len(str(line.label)) <= 90 for line in scans)
    assert {r["category"] for r in scan_records} == {"scanned_docs"} and {r["scan"]["dpi"] for r in scan_records} <= {200, 300}
    meter = json.loads((tmp_path / "smoke" / "meter.json").read_text(encoding="utf-8"))
    (only,) = meter["runs"]
    assert set(only["by_category"]) == {"thai_words", "thai_long", "mixed", "digits", "scanned_docs"}
    assert 0.0 <= only["overall"]["accuracy"] <= 1.0 and "overall" in run.stdout
