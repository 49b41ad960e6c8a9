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
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
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
    cuts = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
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
    args = parser.parse_args()
    model, bodies = line_images(args.model)
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
