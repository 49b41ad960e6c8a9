"""One training entrypoint for every backend, following SageMaker's training-container contract.

Reads /opt/ml/input/config/hyperparameters.json and the `train` / `validation` channels, trains with
PaddleOCR's tools/train.py, exports with tools/export_model.py, converts to ONNX (checked against
Paddle), and writes a model card into SM_MODEL_DIR. On failure the reason goes to
/opt/ml/output/failure. Every path can be overridden by environment variables for local runs;
`python -m thaigen train --backend local` calls `train_and_export` directly.

    python -m trainers.jobs.entrypoint        # what the container runs
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from thaigen.dataset import lmdb
from thaigen.dataset import paths as dataset_paths
from thaigen.dataset.labels import read_labels
from thaigen.errors import ConfigError, EnvironmentProblem, ThaigenError
from trainers.inference.detector import DetectorSettings, preprocess
from trainers.inference.image import Image, InputShape, decode, load, to_batch
from trainers.inference.paddle_backend import import_paddle
from trainers.jobs import channels, distributed, model_card, streaming
from trainers.paddleocr import export, pretrained
from trainers.paddleocr import source as paddle_source
from trainers.paddleocr.configs import ARCHS, Arch, Layout, TrainOptions, build_config, require_valid, write_config
from trainers.paddleocr.launch import STREAM_TRAIN

CONFIG_FILE = "train_config.yml"
LOG_FILE = "train.log"


@dataclass(frozen=True)
class ContractPaths:
    """SageMaker's fixed paths, each overridable by its environment variable."""

    hyperparameters: Path
    train_channel: Path
    validation_channel: Path
    model_dir: Path
    output_dir: Path
    checkpoint_dir: Path
    work_dir: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> ContractPaths:
        """Paths from SM_* variables (THAIGEN_* for the ones SageMaker does not name), else the defaults; made
        absolute, since PaddleOCR's tools run with their source folder as working folder."""
        ml = Path(env.get("SM_ROOT", "/opt/ml"))

        def path(name: str, default: Path | str) -> Path:
            return Path(env.get(name, default)).resolve()

        return cls(
            hyperparameters=path("SM_HYPERPARAMETERS", ml / "input/config/hyperparameters.json"),
            train_channel=path("SM_CHANNEL_TRAIN", ml / "input/data" / channels.TRAIN),
            validation_channel=path("SM_CHANNEL_VALIDATION", ml / "input/data" / channels.VALIDATION),
            model_dir=path("SM_MODEL_DIR", ml / "model"),
            output_dir=path("SM_OUTPUT_DIR", ml / "output"),
            checkpoint_dir=path("THAIGEN_CHECKPOINT_DIR", ml / "checkpoints"),
            work_dir=path("THAIGEN_WORK_DIR", "/tmp/thaigen"),
        )

    @classmethod
    def local(cls, dataset_dir: Path | None, out: Path) -> ContractPaths:
        """Paths for a local run: the dataset folder is both channels (a streamed run has none: its work folder
        stands in); everything else under `out`. Made absolute, since PaddleOCR's tools run with their source
        folder as working folder."""
        out = out.resolve()
        dataset_dir = dataset_dir.resolve() if dataset_dir else out / "work"
        return cls(
            out / "hyperparameters.json",
            dataset_dir,
            dataset_dir,
            out / "model",
            out / "output",
            out / "checkpoints",
            out / "work",
        )


def _flag(text: str) -> bool:
    if text.lower() in ("true", "1", "yes"):
        return True
    if text.lower() in ("false", "0", "no"):
        return False
    raise ValueError(f"not a boolean: {text!r}")


HYPERPARAMETERS: dict[str, Callable[[str], Any]] = {
    "arch": Arch,
    "epochs": int,
    "learning_rate": float,
    "batch_size": int,
    "use_gpu": _flag,
    "eval_every": int,
    "save_epoch_step": int,
    "num_workers": int,
    "model_name": str,
    "pretrained_model": Path,
    "max_minutes": float,
    "stream": str,
}
"""Accepted hyperparameters (SageMaker passes every value as a string) and how each is read."""


@dataclass(frozen=True)
class Run:
    """A parsed set of hyperparameters."""

    options: TrainOptions
    max_minutes: float | None
    stream: str | None = None
    """A thaigen config's YAML text: train on samples drawn from it (trainers/jobs/streaming.py), not on channels."""


def parse_hyperparameters(values: Mapping[str, str], output_dir: Path) -> Run:
    """Typed options from string hyperparameters.

    Raises:
        ConfigError: an unknown key, a bad value, or no `arch`.
    """
    parsed: dict[str, Any] = {}
    for key, text in values.items():
        if key not in HYPERPARAMETERS:
            raise ConfigError(f"unknown hyperparameter '{key}'; known: {', '.join(HYPERPARAMETERS)}")
        try:
            parsed[key] = HYPERPARAMETERS[key](str(text))
        except ValueError:
            raise ConfigError(f"hyperparameter {key}={text!r} is not a valid {key}") from None
    if "arch" not in parsed:
        raise ConfigError(f"hyperparameter 'arch' is required ({', '.join(a.value for a in Arch)})")
    max_minutes, stream = parsed.pop("max_minutes", None), parsed.pop("stream", None)
    return Run(TrainOptions(output_dir=output_dir, **parsed), max_minutes, stream)


def read_hyperparameters(path: Path) -> dict[str, str]:
    """hyperparameters.json as a mapping of strings (empty when the file is absent)."""
    if not path.is_file():
        return {}
    return {str(key): str(value) for key, value in json.loads(path.read_text(encoding="utf-8")).items()}


def require_device(use_gpu: bool) -> str:
    """The device a run will use; refuses a GPU run on a CPU-only paddlepaddle instead of crawling along.

    Raises:
        EnvironmentProblem: use_gpu with a paddlepaddle built without CUDA.
    """
    paddle = import_paddle()
    if use_gpu and not paddle.is_compiled_with_cuda():
        raise EnvironmentProblem(
            f"use_gpu is on but paddlepaddle {paddle.__version__} has no CUDA: install paddlepaddle-gpu "
            "(see trainers/README.md) or train on the CPU with --device cpu"
        )
    return "gpu" if use_gpu else "cpu"


def train_command(
    source: Path,
    config: Path,
    cluster: distributed.Cluster | None = None,
    resolve: Callable[[str], str] = socket.gethostbyname,
    stream: bool = False,
) -> list[str]:
    """tools/train.py -c CONFIG (with `stream`, thaigen's launcher of it: launch/stream_train.py), under
    paddle.distributed.launch when the job has more than one GPU or host."""
    command = paddle_source.tool_command(source, "train.py", "-c", str(config))
    if stream:
        command[1] = str(STREAM_TRAIN)
    return [*distributed.launch_prefix(cluster or distributed.Cluster(), resolve), *command[1:]]


def run_paddle_train(
    source: Path, config: Path, log: Path, max_minutes: float | None, command: list[str] | None = None
) -> bool:
    """Run tools/train.py (or `command`), teeing its output to `log` and stdout; True when stopped by `max_minutes`.

    PaddleOCR runs in its own session: its SIGINT handler kills its whole process group.

    Raises:
        ThaigenError: training failed (its last log line in the message).
    """
    command = command or train_command(source, config)
    with (
        subprocess.Popen(
            command,
            cwd=source,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,
        ) as process,
        log.open("a", encoding="utf-8", buffering=1) as handle,
    ):
        timer = threading.Timer((max_minutes or 0) * 60, process.send_signal, [signal.SIGINT])
        if max_minutes:
            timer.start()
        assert process.stdout is not None
        for line in process.stdout:
            handle.write(line)
            sys.stdout.write(line)
            sys.stdout.flush()
        code = process.wait()
    stopped = max_minutes is not None and not timer.is_alive()
    timer.cancel()
    if code != 0 and not stopped:
        raise ThaigenError(f"PaddleOCR training failed (exit {code}): {export.last_line(log)}")
    return stopped


def _weights(save_dir: Path) -> Path:
    for name in ("best_accuracy", "latest"):
        if (save_dir / f"{name}.pdparams").is_file():
            return save_dir / name
    raise ThaigenError(f"training saved no weights in {save_dir} (stopped before the first evaluation?)")


def _sample_images(layout: Layout, count: int = 8) -> list[Path]:
    lines = itertools.islice(read_labels(layout.val_labels), count)
    return [layout.val_dir / line.path for line in lines]


def _sample_lines(layout: Layout, count: int = 8) -> list[Image]:
    """The first `count` validation lines, from val.txt's images or the val LMDB (build --format lmdb)."""
    if lmdb.is_lmdb(layout.val_dir / lmdb.VAL):
        pngs = itertools.islice(lmdb.read_lmdb(layout.val_dir / lmdb.VAL), count)
        return [decode(png, f"{layout.val_dir / lmdb.VAL} sample {n}") for n, (png, _label) in enumerate(pngs, 1)]
    return [load(p) for p in _sample_images(layout, count)]


def sample_batch(layout: Layout, arch: Arch, config: dict[str, Any]) -> np.ndarray:
    """Inputs for the ONNX agreement check: 8 validation lines, or for DB the first validation page at the
    size the model's own DetResizeForTest gives it."""
    if ARCHS[arch].model_type == "rec":
        return to_batch(_sample_lines(layout), InputShape(*ARCHS[arch].image_shape))
    resize = next(op["DetResizeForTest"] for op in config["Eval"]["dataset"]["transforms"] if "DetResizeForTest" in op)
    settings = DetectorSettings(resize["limit_side_len"], resize["limit_type"])
    return preprocess(load(_sample_images(layout, 1)[0]), settings)


def inference_note(onnx: export.OnnxResult) -> dict[str, Any]:
    """How the folder's model is meant to run, for the model card."""
    if onnx.path is not None:
        return {"runtime": "onnxruntime", "file": onnx.path.name}
    return {"runtime": "paddle", "file": export.MODEL_FILE, "enable_mkldnn": False}


def train_and_export(paths: ContractPaths, hyperparameters: Mapping[str, str]) -> Path:
    """Train, export, convert and describe one model; returns the model card's path (on the other hosts of a
    multi-host job, which only train: the model folder).

    Raises:
        ThaigenError: bad hyperparameters or data, no PaddleOCR source, no GPU when asked, a failed step.
    """
    run = parse_hyperparameters(hyperparameters, paths.checkpoint_dir)
    arch = run.options.arch
    source = paddle_source.locate()
    stream = None
    if run.stream is None:
        layout = Layout.of(
            channels.unpack(paths.train_channel, paths.work_dir / channels.TRAIN),
            channels.unpack(paths.validation_channel, paths.work_dir / channels.VALIDATION),
        )
        require_valid(layout, arch)
    else:
        layout, stream = streaming.prepare_run(run.stream, paths.work_dir / streaming.FOLDER, arch)
    device = require_device(run.options.use_gpu)
    resume = paths.checkpoint_dir / "latest"  # left by an interrupted (spot) run: continue from it
    options = replace(run.options, checkpoint=resume if resume.with_suffix(".pdparams").is_file() else None)
    resources = paths.hyperparameters.parent / distributed.RESOURCE_FILE
    cluster = distributed.Cluster.read(resources, distributed.gpu_count() if device == "gpu" else 0)
    base_rate = options.learning_rate or ARCHS[arch].learning_rate
    scaling = distributed.describe(cluster, options.batch_size or ARCHS[arch].batch_size, base_rate)
    options = replace(options, learning_rate=distributed.scaled_learning_rate(base_rate, cluster))
    if options.pretrained_model is not None:
        options = replace(options, pretrained_model=pretrained.resolve_weights(options.pretrained_model))
    for folder in (paths.model_dir, paths.checkpoint_dir):
        folder.mkdir(parents=True, exist_ok=True)
    config = build_config(layout, options, stream)
    config_path = write_config(config, paths.checkpoint_dir / CONFIG_FILE)
    log = paths.model_dir / LOG_FILE
    if options.pretrained_model is not None and options.checkpoint is None:  # a resumed run loads its checkpoint
        report = pretrained.check(source, config_path, options.pretrained_model)
        with log.open("a", encoding="utf-8") as handle:
            for line in report.lines(options.pretrained_model, layout.dict_path):
                print(line)
                handle.write(line + "\n")
    if cluster.world_size > 1:
        note = (f"distributed: {scaling['hosts']} host(s) x {scaling['gpus_per_host']} GPU(s) = {cluster.world_size};"
                f" batch {scaling['batch_per_gpu']} per GPU ({scaling['global_batch']} global); learning rate"
                f" {base_rate:g} x {cluster.world_size} = {scaling['learning_rate']:g} ({scaling['rule']})")
        print(note)
        with log.open("a", encoding="utf-8") as handle:
            handle.write(note + "\n")
    started = time.monotonic()
    command = train_command(source, config_path, cluster, stream=stream is not None)
    stopped = run_paddle_train(source, config_path, log, run.max_minutes, command)
    wall_s = time.monotonic() - started
    if not cluster.leader:  # rank 0 saved the weights; its host exports and writes the model
        return paths.model_dir
    export.export_inference(source, config_path, _weights(paths.checkpoint_dir), paths.model_dir, log)
    export.make_loadable(paths.model_dir, arch)
    onnx = export.convert_checked(paths.model_dir, sample_batch(layout, arch, config))
    shutil.copyfile(config_path, paths.model_dir / CONFIG_FILE)
    if layout.dict_path.is_file():
        shutil.copyfile(layout.dict_path, paths.model_dir / dataset_paths.DICT)
    if stream is not None:
        shutil.copyfile(stream.config, paths.model_dir / streaming.CONFIG_JSON)
    training = {
        "device": device,
        "epochs": config["Global"]["epoch_num"],
        "wall_s": round(wall_s, 1),
        "stopped_by_time_limit": stopped,
        "resumed_from_checkpoint": options.checkpoint is not None,
    } | ({"distributed": scaling} if cluster.world_size > 1 else {}) | ({"stream": streaming.describe(stream)} if stream else {})
    card = model_card.describe(arch, config, layout, training | model_card.training_figures(log), onnx, source)
    return model_card.write_card(paths.model_dir, card | {"inference": inference_note(onnx)})


def main() -> int:
    """Container entry: run with SageMaker's paths; on failure write the reason where SageMaker shows it."""
    paths = ContractPaths.from_env()
    try:
        train_and_export(paths, read_hyperparameters(paths.hyperparameters))
    except Exception as problem:  # noqa: BLE001 (any failure must reach /opt/ml/output/failure, then exit 1)
        reason = str(problem) if isinstance(problem, ThaigenError) else f"{type(problem).__name__}: {problem}"
        paths.output_dir.mkdir(parents=True, exist_ok=True)
        (paths.output_dir / "failure").write_text(reason + "\n", encoding="utf-8")
        print(f"thaigen: error: {reason}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
