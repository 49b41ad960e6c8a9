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


def test_stream_column_sets_spare_cores_against_the_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cost.STREAMED_PER_CORE, "svtr", 300.0)
    monkeypatch.setitem(cost.LOADER_IMAGES_PER_CORE, "svtr", 600.0)  # a core draws, then loads: 200 img/s
    slow = cost.Instance("slow", "imaginary", 1.0, 4, 1.0)
    fast = cost.Instance("fast", "imaginary", 1000.0, 2, 1.0)  # its GPU waits on its one loader core: 600 img/s
    slow_rate = cost.GPU_UTILISATION * 1e12 / (6 * cost.FORWARD_MACS["svtr"])
    assert cost.stream_feed("svtr", slow) == pytest.approx(3 * 200 / slow_rate) and slow_rate < 200
    assert cost.stream_feed("svtr", fast) == pytest.approx(200 / 600)
    monkeypatch.setattr(cost, "INSTANCES", (slow, fast))
    rows = cost.estimate("svtr", 1000, 1)
    assert [row.stream_feed for row in rows] == [cost.stream_feed("svtr", slow), cost.stream_feed("svtr", fast)]
    lines = {line.split()[0]: line for line in cost.report("svtr", 1000, 1).splitlines()}
    assert lines["slow"].endswith(f"feeds ({3 * 200 / slow_rate:.2f}x)")
    assert lines["fast"].endswith("build first (0.33x)")


def test_cli_prints_every_instance_with_dated_sources(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["cost", "--arch", "svtr", "--samples", "9408", "--epochs", "100"]) == 0
    out = capsys.readouterr().out
    for name in ("ml.g4dn.xlarge", "ml.g5.xlarge", "ml.g6.xlarge", "ml.p3.2xlarge", "2-core CPU"):
        assert name in out
    assert f"prices: {cost.PRICES_DATE}" in out and "estimate" in out and "measured" in out
    cpu_hours = 9408 * 100 / cost.CPU_MEASURED["svtr"] / 3600
    assert f"{cpu_hours:.1f}" in out


def test_cli_says_per_instance_whether_streaming_feeds_the_gpu(capsys: pytest.CaptureFixture[str]) -> None:
    for arch in ("svtr", "db"):
        assert cli(["cost", "--arch", arch, "--samples", "1000", "--epochs", "1"]) == 0
        lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
        assert lines["instance"].endswith("stream") and "bench/stream_feed.py" in lines["stream:"]
        for instance in cost.INSTANCES:
            ratio = cost.stream_feed(arch, instance)
            verdict = "feeds" if ratio >= 1 else "build first"
            assert lines[instance.name].endswith(f"{verdict} ({ratio:.2f}x)")
