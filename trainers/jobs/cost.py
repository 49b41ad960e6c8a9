"""Training time and dollars per SageMaker instance type, from a dated price table and stated throughputs.

No GPU was available when this was written, so GPU throughput is an estimate, derived openly:

    img/s = utilisation x GPU peak FP32 FLOP/s / (6 x forward MACs per image)

(training costs about 3 forward passes, a MAC is 2 FLOPs), capped by what the instance's CPUs can
decode and resize. Forward MACs were counted here (Conv2D + Linear hooks on the models the generated
configs build, PaddleOCR v3.0.0, train mode); the CPU rates were measured here. Replace an estimate
with a measurement by adding it to MEASURED_GPU.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICES_DATE = "2026-11"
PRICES_NOTE = (
    "us-east-1 on-demand $/h seen in public code (the INSTANCES table in trainers/jobs/cost.py);"
    " verify on https://aws.amazon.com/sagemaker/pricing/"
)
GPU_UTILISATION = 0.3
"""Assumed share of peak FP32 a small conv/CTC net reaches at batch 128 (this machine's CPU reached 0.1-0.25)."""


@dataclass(frozen=True)
class Instance:
    """A SageMaker training instance: its GPU's FP32 peak (vendor spec sheet) and price."""

    name: str
    gpu: str
    peak_fp32_tflops: float
    vcpus: int
    usd_per_hour: float


INSTANCES = (
    Instance("ml.g4dn.xlarge", "T4 16 GB", 8.1, 4, 0.736),
    Instance("ml.g5.xlarge", "A10G 24 GB", 31.2, 4, 1.408),
    Instance("ml.g6.xlarge", "L4 24 GB", 30.3, 4, 1.15),  # price from one source only
    Instance("ml.p3.2xlarge", "V100 16 GB", 15.7, 8, 3.825),
)
"""A10G and L4 spec-sheet FP32 counts dual-issue FP32; conv nets see less, so their rows are optimistic."""

FORWARD_MACS = {"crnn": 0.172e9, "svtr": 2.67e9, "db": 1.84e9}
"""Forward multiply-accumulates per image at the configs' input sizes (32x320, 48x320, 640x640), counted here."""

LOADER_IMAGES_PER_CORE = {"crnn": 5200.0, "svtr": 5600.0, "db": 60.0}
"""PaddleOCR SimpleDataSet decode + label encode + resize, img/s on one core, measured here (db: estimated)."""

CPU_MEASURED = {"crnn": 14.8, "svtr": 2.4, "db": 0.15}
"""Training img/s on this project's 2-core CPU machine, batch 32 (db batch 8), PaddleOCR v3.0.0, paddle 3.3.1."""

BILLED_OVERHEAD_HOURS = 0.1
"""Billed time besides training, estimated: pulling the ~6 GB GPU image, downloading channels, uploading the model."""

SAME_NETWORK = {"ppocrv5-th": "svtr"}
"""Archs priced as another: ppocrv5-th is svtr's network (its 32/48/64 px scales average svtr's 48)."""

STREAMED_PER_CORE = {"crnn": 733.0, "svtr": 733.0, "db": 11.5}
"""Samples thaigen.samples draws per CPU second on one core (BLAS on one thread): lines of the default recipe for
crnn and svtr (the `documents` recipe's longer lines: 319), pages of the default det recipe for db. Measured by
`python bench/stream_feed.py` (1,000 lines, 50 pages) at commit 2212a04 on 6 December 2026, this project's
2-core machine (three more runs that hour: 593-750 lines, 11.0-11.6 pages)."""

MEASURED_GPU: dict[tuple[str, str], float] = {}
"""(arch, instance) -> measured training img/s; used instead of the estimate when present."""


@dataclass(frozen=True)
class Estimate:
    """One row of the cost table."""

    instance: str
    images_per_s: float
    measured: bool
    hours: float
    usd: float
    stream_feed: float
    """(vCPUs - 1) x streamed per-core rate / images_per_s: at 1 or more, streaming keeps the GPU fed."""


def images_per_second(arch: str, instance: Instance) -> tuple[float, bool]:
    """Training throughput on `instance` and whether it was measured (else estimated as documented above)."""
    arch = SAME_NETWORK.get(arch, arch)
    if (arch, instance.name) in MEASURED_GPU:
        return MEASURED_GPU[arch, instance.name], True
    compute = GPU_UTILISATION * instance.peak_fp32_tflops * 1e12 / (6 * FORWARD_MACS[arch])
    return min(compute, LOADER_IMAGES_PER_CORE[arch] * (instance.vcpus - 1)), False


def streamed_per_core(arch: str, draws_per_s: float | None = None) -> float:
    """Images/s one core hands `arch`'s trainer when it draws each sample (at `draws_per_s`, default
    STREAMED_PER_CORE) and then runs PaddleOCR's loader on it (LOADER_IMAGES_PER_CORE)."""
    arch = SAME_NETWORK.get(arch, arch)
    draws = STREAMED_PER_CORE[arch] if draws_per_s is None else draws_per_s
    return 1 / (1 / draws + 1 / LOADER_IMAGES_PER_CORE[arch])


def stream_feed(arch: str, instance: Instance) -> float:
    """How many times over the instance's vCPUs, one kept for training, feed its GPU by streaming (1 or more: fed)."""
    rate, _ = images_per_second(arch, instance)
    return (instance.vcpus - 1) * streamed_per_core(arch) / rate


def estimate(arch: str, samples: int, epochs: int, spot_discount: float = 0.0) -> list[Estimate]:
    """Billed time and cost of `epochs` over `samples` images on each instance type (billing is per second)."""
    rows = []
    for instance in INSTANCES:
        rate, measured = images_per_second(arch, instance)
        hours = samples * epochs / rate / 3600 + BILLED_OVERHEAD_HOURS
        usd = hours * instance.usd_per_hour * (1 - spot_discount)
        rows.append(Estimate(instance.name, rate, measured, hours, usd, stream_feed(arch, instance)))
    return rows


def report(arch: str, samples: int, epochs: int, spot_discount: float = 0.0) -> str:
    """The table `thaigen cost` prints: one row per instance, the CPU reference, and where figures come from."""
    rows = estimate(arch, samples, epochs, spot_discount)
    lines = [
        f"{arch}: {samples} images x {epochs} epochs"
        + (f", {spot_discount:.0%} spot discount" if spot_discount else ""),
        f"{'instance':<16}{'img/s':>9}  {'':<9}{'hours':>8}{'USD':>9}  stream",
    ]
    lines += [
        f"{r.instance:<16}{r.images_per_s:>9.0f}  {'measured' if r.measured else 'estimate':<9}{r.hours:>8.2f}"
        f"{r.usd:>9.2f}  {'feeds' if r.stream_feed >= 1 else 'build first'} ({r.stream_feed:.2f}x)"
        for r in rows
    ]
    cpu_rate = CPU_MEASURED[SAME_NETWORK.get(arch, arch)]
    cpu_h = samples * epochs / cpu_rate / 3600
    lines += [
        f"{'2-core CPU':<16}{cpu_rate:>9.1f}  {'measured':<9}{cpu_h:>8.1f}{'-':>9}",
        f"prices: {PRICES_DATE}, {PRICES_NOTE}",
        (
            f"estimates: {GPU_UTILISATION:.0%} of the GPU's peak FP32 / (6 x forward MACs per image), capped by CPU"
            " data loading; see trainers/jobs/cost.py"
        ),
        (
            "stream: (vCPUs - 1) x the samples/s one core streams (thaigen.samples, then PaddleOCR's loader) over the"
            " img/s above; from 1x streaming feeds the GPU, below it build the dataset first; see bench/stream_feed.py"
        ),
    ]
    return "\n".join(lines)
