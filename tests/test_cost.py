"""Cost estimates: arithmetic, sources stated, and the CLI table."""

from __future__ import annotations

import pytest

from thaigen.cli import main as cli
from trainers.jobs import cost


def test_estimate_is_samples_times_epochs_over_throughput_plus_overhead() -> None:
    rows = {row.instance: row for row in cost.estimate("svtr", 9408, 100)}
    assert sorted(rows) == ["ml.g4dn.xlarge", "ml.g5.xlarge", "ml.g6.xlarge", "ml.p3.2xlarge"]
    g4dn = rows["ml.g4dn.xlarge"]
    expected_rate = cost.GPU_UTILISATION * 8.1e12 / (6 * cost.FORWARD_MACS["svtr"])
    assert g4dn.images_per_s == pytest.approx(expected_rate) and not g4dn.measured
    assert g4dn.hours == pytest.approx(9408 * 100 / expected_rate / 3600 + cost.BILLED_OVERHEAD_HOURS)
    assert g4dn.usd == pytest.approx(g4dn.hours * 0.736)
    # A bigger model is slower everywhere; spot discounts the dollars, not the hours.
    crnn = {row.instance: row for row in cost.estimate("crnn", 9408, 100, spot_discount=0.6)}
    assert all(crnn[name].images_per_s > rows[name].images_per_s for name in rows)
    assert crnn["ml.g4dn.xlarge"].usd == pytest.approx(crnn["ml.g4dn.xlarge"].hours * 0.736 * 0.4)


def test_measured_figures_replace_estimates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cost.MEASURED_GPU, ("svtr", "ml.g5.xlarge"), 400.0)
    row = next(r for r in cost.estimate("svtr", 4000, 10) if r.instance == "ml.g5.xlarge")
    assert row.measured and row.images_per_s == 400.0
    assert row.hours == pytest.approx(4000 * 10 / 400 / 3600 + cost.BILLED_OVERHEAD_HOURS)


def test_loader_caps_tiny_models() -> None:
    fast = cost.Instance("fast", "imaginary", 10_000.0, 2, 1.0)
    rate, measured = cost.images_per_second("crnn", fast)
    assert rate == cost.LOADER_IMAGES_PER_CORE["crnn"] * 1 and not measured


def test_cli_prints_every_instance_with_dated_sources(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["cost", "--arch", "svtr", "--samples", "9408", "--epochs", "100"]) == 0
    out = capsys.readouterr().out
    for name in ("ml.g4dn.xlarge", "ml.g5.xlarge", "ml.g6.xlarge", "ml.p3.2xlarge", "2-core CPU"):
        assert name in out
    assert f"prices: {cost.PRICES_DATE}" in out and "estimate" in out and "measured" in out
    cpu_hours = 9408 * 100 / cost.CPU_MEASURED["svtr"] / 3600
    assert f"{cpu_hours:.1f}" in out
