"""Load test of `thaigen serve` on loopback: latency percentiles and throughput, Paddle vs ONNX runtimes.

    python bench/serve_load.py [--model DIR] [--concurrency 1 4 16] [--requests 300] [--max-seconds 20]

For each runtime, starts `python -m thaigen serve MODEL --runtime R` (uvicorn) on 127.0.0.1 in its own
process, waits for GET /ping, then at each concurrency sends one-line PNG requests (POST /invocations)
from that many client threads, each on its own keep-alive connection, until --requests are answered or
--max-seconds pass. Without --model it trains the tiny test model into bench/out/tiny the first time
(about a minute; needs `PYTHONPATH=tests` for tests/tiny_model.py) and uses its validation lines.
Besides latency it reports the server's CPU time per request (from /proc, Linux), which a busy machine
disturbs less than latency. Figures also go to bench/out/serve_load.json, the server's log to
bench/out/serve-RUNTIME.log.

    PYTHONPATH=tests python bench/serve_load.py --hostile [--max-seconds 30] [--rss-cap-gb 10]

Hostile input instead (ONNX, a fresh server for each part; needs tests/bombs.py): first one PNG of 124 KB
declaring 32,000 x 32,000 1-bit px, alone (time to answer, server CPU, resident memory before and at its peak);
then a mix at concurrency 16 for --max-seconds: 12 clients send good one-line PNGs, 2 send bombs (every
format, declaring 16,000 x 16,000 px and more), 2 send 8 MiB images (a noise JPEG within the limits and a
smooth 100 Mpx one). It reports the good requests' p95 and errors, every status the others got, and the
server's peak resident memory (VmHWM, Linux). A watchdog kills the server if its memory passes --rss-cap-gb
(the machine is shared): the figures then say so. Figures go to bench/out/serve_hostile.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from http.client import HTTPConnection
from pathlib import Path

from thaigen.dataset import paths
from thaigen.dataset.labels import read_labels

OUT = Path(__file__).resolve().parent / "out"
HOST = "127.0.0.1"
STARTUP_S = 120.0


@dataclass(frozen=True)
class Level:
    """Figures of one runtime at one concurrency."""

    runtime: str
    concurrency: int
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_batch: float
    server_cpu_ms: float | None
    """Server CPU time (user + system, all threads) per answered request."""

    @property
    def throughput(self) -> float:
        """Answered requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far, from /proc (None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def wait_ready(port: int, server: subprocess.Popen[bytes]) -> None:
    """Poll GET /ping until the server answers 200 (or fail when it exits or takes too long)."""
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode}")
        try:
            connection = HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/ping")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server not ready after {STARTUP_S} s")


def drive(
    server: subprocess.Popen[bytes],
    port: int,
    bodies: list[bytes],
    concurrency: int,
    count: int,
    max_seconds: float,
    runtime: str,
) -> Level:
    """Send `count` requests (at most `max_seconds`) from `concurrency` threads; collect latencies."""
    deadline = time.monotonic() + max_seconds
    latencies: list[float] = []
    batches: list[int] = []
    errors = 0
    per_worker = -(-count // concurrency)

    def worker(offset: int) -> None:
        nonlocal errors
        connection = HTTPConnection(HOST, port, timeout=60)
        for i in range(per_worker):
            if time.monotonic() > deadline:
                break
            start = time.perf_counter()
            try:
                connection.request(
                    "POST",
                    "/invocations",
                    body=bodies[(offset + i) % len(bodies)],
                    headers={"Content-Type": "image/png"},
                )
                response = connection.getresponse()
                response.read()
            except OSError:
                errors += 1
                connection.close()
                continue
            latencies.append(time.perf_counter() - start)
            if response.status == 200:
                batches.append(int(response.getheader("X-Batch-Sizes", "1")))
            else:
                errors += 1
        connection.close()

    cpu_before, started = cpu_seconds(server.pid), time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, range(concurrency)))
    seconds, cpu_after = time.perf_counter() - started, cpu_seconds(server.pid)
    cpu = None if cpu_before is None or cpu_after is None or not latencies else cpu_after - cpu_before
    cuts = percentiles(latencies)
    return Level(
        runtime=runtime,
        concurrency=concurrency,
        requests=len(latencies),
        errors=errors,
        seconds=seconds,
        p50_ms=1000 * cuts[49],
        p95_ms=1000 * cuts[94],
        p99_ms=1000 * cuts[98],
        mean_batch=statistics.fmean(batches) if batches else 0.0,
        server_cpu_ms=None if cpu is None else 1000 * cpu / len(latencies),
    )


def percentiles(latencies: list[float]) -> list[float]:
    """The 99 cut points of `latencies` (all the one value when there is one)."""
    return statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99


def memory_kb(pid: int, field: str) -> int | None:
    """A memory figure of a process from /proc/PID/status, KiB (VmRSS: resident now, VmHWM: its peak)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    return next((int(line.split()[1]) for line in lines if line.startswith(f"{field}:")), None)


@dataclass
class Watchdog:
    """Kills the server when its resident memory passes `cap_kb` (checked every 20 ms, in a thread)."""

    server: subprocess.Popen[bytes]
    cap_kb: int
    killed_at_kb: int | None = None

    def watch(self) -> None:
        while self.server.poll() is None:
            rss = memory_kb(self.server.pid, "VmRSS")
            if rss is not None and rss > self.cap_kb:
                self.killed_at_kb = rss
                self.server.kill()
                return
            time.sleep(0.02)


def post(port: int, body: bytes, content_type: str = "image/png", timeout: float = 120) -> tuple[int | str, float]:
    """POST /invocations on a fresh connection: status (or the error's name) and seconds."""
    start = time.perf_counter()
    connection = HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("POST", "/invocations", body=body, headers={"Content-Type": content_type})
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - start
    except OSError as exc:
        return type(exc).__name__, time.perf_counter() - start
    finally:
        connection.close()


def hostile_bodies() -> tuple[list[bytes], list[bytes]]:
    """Bombs (every accepted format, 16,000 x 16,000 px or as much as the format holds, one PNG with all its
    zero rows) and two 8 MiB images: a noise JPEG of 2,000 x 1,500 px and a smooth 10,000 x 10,000 px JPEG."""
    import io

    import numpy as np
    from bombs import BOMBS, MAX_SIDE, png_bomb
    from PIL import Image as PILImage

    bombs = [png_bomb(16000, 16000, full=True)]
    bombs += [make(min(16000, MAX_SIDE.get(fmt, 16000)), 16000) for fmt, make in BOMBS.items()]
    rng = np.random.default_rng(0)
    large = []
    for size, pixels in (((2000, 1500), None), ((10000, 10000), (250, 250))):
        noise = rng.integers(0, 256, ((pixels or size)[1], (pixels or size)[0], 3), np.uint8)
        image = PILImage.fromarray(noise).resize(size, PILImage.Resampling.BICUBIC)
        for quality in (98, 95, 90, 85, 75, 60, 40):
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=quality)
            if buffer.tell() <= 8 * 2**20:
                break
        large.append(buffer.getvalue())
    return bombs, large


@dataclass(frozen=True)
class BombFigures:
    """One 32,000 x 32,000 px PNG bomb sent alone."""

    status: int | str
    seconds: float
    server_cpu_s: float | None
    rss_before_mb: float
    rss_peak_mb: float
    killed_at_mb: float | None


@dataclass(frozen=True)
class HostileFigures:
    """The hostile mix at concurrency 16."""

    good_requests: int
    good_errors: int
    good_p50_ms: float
    good_p95_ms: float
    good_p99_ms: float
    bomb_statuses: dict[str, int]
    large_statuses: dict[str, int]
    rss_before_mb: float
    rss_peak_mb: float
    killed_at_mb: float | None
    server_alive: bool


@dataclass(frozen=True)
class Running:
    """A watched server process and its port."""

    process: subprocess.Popen[bytes]
    port: int
    watchdog: Watchdog

    def memory_mb(self, field: str) -> float:
        return (memory_kb(self.process.pid, field) or 0) / 1024

    @property
    def killed_at_mb(self) -> float | None:
        return None if self.watchdog.killed_at_kb is None else self.watchdog.killed_at_kb / 1024


@contextlib.contextmanager
def watched_server(command: list[str], log: Path, cap_gb: float) -> Iterator[Running]:
    """`command` (thaigen serve) on a free port, its memory watched, until the block ends."""
    port = free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen([*command, "--port", str(port)], stdout=sink, stderr=subprocess.STDOUT)
        try:
            wait_ready(port, process)
            watchdog = Watchdog(process, int(cap_gb * 2**20))
            threading.Thread(target=watchdog.watch, daemon=True).start()
            yield Running(process, port, watchdog)
        finally:
            process.terminate()
            process.wait(timeout=30)


def one_bomb(command: list[str], cap_gb: float) -> BombFigures:
    """Send the 32,000 x 32,000 px PNG bomb to a fresh server, alone."""
    from bombs import png_bomb

    bomb = png_bomb(32000, 32000, full=True)
    with watched_server(command, OUT / "serve-bomb.log", cap_gb) as server:
        post(server.port, bomb[:1000])  # warm-up: a truncated image
        before, cpu = server.memory_mb("VmRSS"), cpu_seconds(server.process.pid)
        status, seconds = post(server.port, bomb)
        cpu_after = cpu_seconds(server.process.pid)
        peak = server.memory_mb("VmHWM")
        return BombFigures(
            status=status,
            seconds=seconds,
            server_cpu_s=None if cpu is None or cpu_after is None else cpu_after - cpu,
            rss_before_mb=before,
            rss_peak_mb=peak,
            killed_at_mb=server.killed_at_mb,
        )


def hostile_mix(command: list[str], good: list[bytes], seconds: float, cap_gb: float) -> HostileFigures:
    """12 good clients, 2 bomb clients and 2 large-image clients at once for `seconds`."""
    bombs, large = hostile_bodies()
    with watched_server(command, OUT / "serve-hostile.log", cap_gb) as server:
        drive(server.process, server.port, good, 1, 20, 10.0, "onnx")  # warm-up
        before = server.memory_mb("VmRSS")
        deadline = time.monotonic() + seconds
        latencies: list[float] = []
        good_errors = 0
        statuses: dict[str, Counter[str]] = {"bomb": Counter(), "large": Counter()}

        def good_client(offset: int) -> None:
            nonlocal good_errors
            i = offset
            while time.monotonic() < deadline:
                status, took = post(server.port, good[i % len(good)])
                i += 1
                if status == 200:
                    latencies.append(took)
                else:
                    good_errors += 1

        def hostile_client(kind: str, bodies: list[bytes], offset: int) -> None:
            i = offset
            while time.monotonic() < deadline:
                content_type = "image/jpeg" if kind == "large" else "application/octet-stream"
                status, _ = post(server.port, bodies[i % len(bodies)], content_type)
                statuses[kind][str(status)] += 1
                i += 1

        with ThreadPoolExecutor(16) as pool:
            futures = [pool.submit(good_client, i) for i in range(12)]
            futures += [pool.submit(hostile_client, "bomb", bombs, i) for i in range(2)]
            futures += [pool.submit(hostile_client, "large", large, i) for i in range(2)]
            for future in futures:
                future.result()
        cuts = percentiles(latencies) if latencies else [float("nan")] * 99
        return HostileFigures(
            good_requests=len(latencies),
            good_errors=good_errors,
            good_p50_ms=1000 * cuts[49],
            good_p95_ms=1000 * cuts[94],
            good_p99_ms=1000 * cuts[98],
            bomb_statuses=dict(statuses["bomb"]),
            large_statuses=dict(statuses["large"]),
            rss_before_mb=before,
            rss_peak_mb=server.memory_mb("VmHWM"),
            killed_at_mb=server.killed_at_mb,
            server_alive=server.process.poll() is None,
        )


def run_hostile(model: Path, good: list[bytes], args: argparse.Namespace) -> None:
    """The bomb alone, then the mix; print both and write bench/out/serve_hostile.json."""
    command = [sys.executable, "-m", "thaigen", "serve", str(model), "--host", HOST, "--runtime", "onnx", "--quiet"]
    command += ["--max-batch", str(args.max_batch), "--max-wait-ms", str(args.max_wait_ms)]
    OUT.mkdir(exist_ok=True)
    bomb = one_bomb(command, args.rss_cap_gb)
    print(f"32,000 x 32,000 PNG alone: {bomb}", flush=True)
    mix = hostile_mix(command, good, args.max_seconds, args.rss_cap_gb)
    print(f"hostile mix, concurrency 16: {mix}")
    (OUT / "serve_hostile.json").write_text(json.dumps({"bomb": asdict(bomb), "mix": asdict(mix)}, indent=2) + "\n")


def line_images(model: Path | None) -> tuple[Path, list[bytes]]:
    """The model folder and PNG bodies to send: the given model, or the tiny model and its validation lines."""
    data = OUT / "tiny" / "data"
    if model is None and not (OUT / "tiny" / "onnx" / "inference.onnx").is_file():
        from tiny_model import build_tiny_models

        build_tiny_models(OUT / "tiny")
    rows = list(read_labels(data / paths.VAL_LABELS)) if data.is_dir() else []
    if not rows:
        raise SystemExit("no lines to send: run once without --model to build bench/out/tiny")
    return model or OUT / "tiny" / "onnx", [(data / row.path).read_bytes() for row in rows]


def main() -> None:
    """Run every runtime at every concurrency and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="recognizer folder with inference.onnx and a Paddle model")
    parser.add_argument("--runtimes", nargs="+", default=["onnx", "paddle"])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--requests", type=int, default=300, help="requests per level")
    parser.add_argument("--max-seconds", type=float, default=20.0, help="time limit per level")
    parser.add_argument("--max-batch", type=int, default=16)
    parser.add_argument("--max-wait-ms", type=float, default=5.0)
    parser.add_argument("--hostile", action="store_true", help="bombs and 8 MiB images among good requests")
    parser.add_argument("--rss-cap-gb", type=float, default=10.0, help="--hostile: kill the server past this")
    args = parser.parse_args()
    model, bodies = line_images(args.model)
    if args.hostile:
        run_hostile(model, bodies, args)
        return
    levels = []
    for runtime in args.runtimes:
        port = free_port()
        command = [
            sys.executable,
            "-m",
            "thaigen",
            "serve",
            str(model),
            "--host",
            HOST,
            "--port",
            str(port),
            "--runtime",
            runtime,
        ]
        command += ["--max-batch", str(args.max_batch), "--max-wait-ms", str(args.max_wait_ms), "--quiet"]
        OUT.mkdir(exist_ok=True)
        with (OUT / f"serve-{runtime}.log").open("wb") as log:
            server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
            try:
                wait_ready(port, server)
                drive(server, port, bodies, 1, 20, 10.0, runtime)  # warm-up
                levels += [
                    drive(server, port, bodies, c, args.requests, args.max_seconds, runtime) for c in args.concurrency
                ]
            finally:
                server.terminate()
                server.wait(timeout=30)
    print(
        "| runtime | concurrency | requests | errors | p50 ms | p95 ms | p99 ms | req/s | mean batch | server CPU ms/req |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for v in levels:
        cpu = "-" if v.server_cpu_ms is None else f"{v.server_cpu_ms:.2f}"
        print(
            f"| {v.runtime} | {v.concurrency} | {v.requests} | {v.errors} | {v.p50_ms:.1f} | {v.p95_ms:.1f} | "
            f"{v.p99_ms:.1f} | {v.throughput:.1f} | {v.mean_batch:.1f} | {cpu} |"
        )
    (OUT / "serve_load.json").write_text(
        json.dumps([asdict(v) | {"throughput": v.throughput} for v in levels], indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
