"""`thaigen doctor`: what a recognizer or detector folder holds, which runtimes load it, and what is wrong."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from thaigen.errors import ConfigError, EnvironmentProblem
from trainers.inference.db import DBParams
from trainers.inference.detector import DetectorSettings, probe_map, read_settings
from trainers.inference.folder import (
    CONFIG_FILE,
    PADDLEOCR3_OPS,
    PARAMS_FILE,
    ModelFolder,
    ModelFormat,
    NotARecognizer,
    model_formats,
    postprocess_name,
    read_folder,
    read_inference_yml,
    transform_ops,
)
from trainers.inference.recognizer import ModelLoadError, open_backend, open_model, output_problem, probe

RUNTIME_PACKAGE = {
    ModelFormat.ONNX: "onnxruntime",
    ModelFormat.PADDLE3: "paddlepaddle",
    ModelFormat.PADDLE2: "paddlepaddle",
}
VERSION_NOTE = {
    ModelFormat.ONNX: "any onnxruntime",
    ModelFormat.PADDLE3: "paddle >= 3.0 only (paddle 2.6 crashes on it)",
    ModelFormat.PADDLE2: "paddle 2.x, and 3.x through its legacy loader",
}


@dataclass(frozen=True)
class RuntimeCheck:
    """Whether one runtime loaded one model file and what came out."""

    model_format: ModelFormat
    ok: bool
    detail: str


@dataclass(frozen=True)
class Diagnosis:
    """A folder, its runtime checks and every problem found."""

    folder: ModelFolder
    checks: tuple[RuntimeCheck, ...]
    problems: tuple[str, ...]
    hints: tuple[str, ...]

    def render(self) -> str:
        """The report `thaigen doctor` prints."""
        f = self.folder
        lines = _file_lines(f.path, f.formats)
        lines.append(f"model_name: {f.model_name or 'missing'}")
        lines.append(f"input: {f.shape.channels}x{f.shape.height}x{f.shape.width} (C x H x min W)")
        lines.append(f"pre-process: {', '.join(f.preprocess) or 'not given'}")
        lines.append(f"post-process: {f.postprocess or 'not given'}")
        if f.characters is not None and f.table is not None:
            space = " + space" if f.table[-1] == " " else ""
            lines.append(
                f"dictionary: {len(f.characters)} entries from {f.dict_source}; classes: blank + dictionary{space} = {len(f.table)}"
            )
        lines.append("runtimes:")
        lines += [f"  {RUNTIME_PACKAGE[c.model_format]} on {c.model_format.value}: {c.detail}" for c in self.checks]
        lines.append(f"  paddleocr 3.x: {paddleocr3_verdict(f)}")
        return "\n".join(lines + _problem_lines(self.problems, self.hints))


@dataclass(frozen=True)
class DetectorDiagnosis:
    """A text detector's folder: what thaigen runs it with, its runtime checks and every problem found."""

    path: Path
    formats: tuple[ModelFormat, ...]
    config: Mapping[str, Any]
    settings: DetectorSettings
    checks: tuple[RuntimeCheck, ...]
    problems: tuple[str, ...]
    hints: tuple[str, ...]

    def render(self) -> str:
        """The report `thaigen doctor` prints."""
        post = self.config.get("PostProcess") or {}
        name = postprocess_name(self.config) or "not given"
        lines = _file_lines(self.path, self.formats)
        lines.append(
            f"kind: text detector ({name}), not a recognizer: pass it as --det "
            f"(thaigen read PAGE --det {self.path} --rec REC; serve REC --det; score DATASET --task det --det)"
        )
        lines.append(f"model_name: {(self.config.get('Global') or {}).get('model_name') or 'missing'}")
        lines.append(f"input: 1 x 3 x H x W page (BGR, ImageNet mean and std); {_resize_words(self.settings)}")
        lines.append(f"pre-process: {', '.join(op for op, _ in transform_ops(self.config)) or 'not given'}")
        lines.append(f"post-process: {name}; thaigen runs DB with {_db_words(self.settings.db)}")
        lines += [f"  inference.yml {key} {post[key]} differs: thaigen uses {value}" for key, value in _db_diff(post)]
        lines.append("runtimes:")
        lines += [f"  {RUNTIME_PACKAGE[c.model_format]} on {c.model_format.value}: {c.detail}" for c in self.checks]
        return "\n".join(lines + _problem_lines(self.problems, self.hints))


def _file_lines(path: Path, formats: Sequence[ModelFormat]) -> list[str]:
    files = sorted(p.name for p in path.iterdir() if p.is_file())
    lines = [f"model folder: {path}", f"files: {', '.join(files) or 'none'}"]
    return lines + [f"  {m.value}: {m.description}; runs on {VERSION_NOTE[m]}" for m in formats]


def _problem_lines(problems: Sequence[str], hints: Sequence[str]) -> list[str]:
    lines = ["problems:" if problems else "problems: none"] + [f"  - {p}" for p in problems]
    return lines + [f"hint: {h}" for h in hints]


def _resize_words(settings: DetectorSettings) -> str:
    side = "longest side scaled down to at most" if settings.limit_type == "max" else "shortest side scaled up to"
    return (
        f"{side} {settings.limit_side_len} px (DetResizeForTest limit_type {settings.limit_type}; "
        "--det-limit-side-len), each side then rounded to a multiple of 32"
    )


def _db_words(db: DBParams) -> str:
    return ", ".join(f"{f.name} {getattr(db, f.name)}" for f in fields(db))


def _db_diff(post: Mapping[str, Any]) -> list[tuple[str, object]]:
    """inference.yml's DB settings that differ from those thaigen runs with: (key, thaigen's value)."""
    db = DBParams()
    return [
        (f.name, getattr(db, f.name))
        for f in fields(db)
        if f.name in post and _number(post[f.name]) != getattr(db, f.name)
    ]


def _number(value: object) -> object:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return value


def paddleocr3_verdict(folder: ModelFolder) -> str:
    """Whether paddleocr 3.x's TextRecognition(model_dir=..., model_name=...) would accept the folder."""
    reasons = []
    if folder.config is None:
        reasons.append(f"needs {CONFIG_FILE}")
    else:
        if not folder.model_name:
            reasons.append("needs Global.model_name")
        rejected = [op for op in folder.preprocess if op not in PADDLEOCR3_OPS]
        if rejected:
            reasons.append(f"rejects pre-process {', '.join(rejected)}")
        if folder.postprocess != "CTCLabelDecode" or folder.dict_source != f"{CONFIG_FILE} PostProcess.character_dict":
            reasons.append("needs PostProcess CTCLabelDecode with character_dict")
    if (
        not {ModelFormat.PADDLE3, ModelFormat.PADDLE2} & set(folder.formats)
        or not (folder.path / PARAMS_FILE).is_file()
    ):
        reasons.append(f"needs inference.json or inference.pdmodel with {PARAMS_FILE}")
    name = f" with model_name={folder.model_name}" if folder.model_name else ""
    return f"would load it{name}" if not reasons else "would not load it: " + "; ".join(reasons)


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _runtime_version(model_format: ModelFormat) -> str:
    return f"{RUNTIME_PACKAGE[model_format]} {_version(RUNTIME_PACKAGE[model_format])}"


def check_runtime(folder: ModelFolder, model_format: ModelFormat) -> RuntimeCheck:
    """Load one model file, run a blank line through it and compare the output with the dictionary."""
    version = _runtime_version(model_format)
    try:
        shape = probe(open_backend(folder, model_format), folder)
    except (ModelLoadError, EnvironmentProblem) as exc:
        return RuntimeCheck(model_format, False, f"fails ({version}): {exc}")
    problem = output_problem(shape, folder.table)
    detail = f"loads ({version}); output {list(shape)}"
    return RuntimeCheck(model_format, problem is None, f"{detail}; {problem}" if problem else detail)


def check_detector_runtime(path: Path, model_format: ModelFormat) -> RuntimeCheck:
    """Load one detector model file and check it maps a blank 32 x 32 page to a probability map."""
    version = _runtime_version(model_format)
    try:
        shape, problem = probe_map(open_model(path / model_format.value, model_format), path)
    except (ModelLoadError, EnvironmentProblem) as exc:
        return RuntimeCheck(model_format, False, f"fails ({version}): {exc}")
    detail = f"loads ({version}); output {list(shape)} for a blank 32 x 32 page"
    return RuntimeCheck(model_format, problem is None, f"{detail}; {problem}" if problem else detail)


def _onnx_hint(path: Path, formats: Sequence[ModelFormat]) -> tuple[str, ...]:
    if formats and ModelFormat.ONNX not in formats:
        return (
            f"no inference.onnx; onnxruntime ran about 2x faster than paddle on CPU here: thaigen doctor {path} --to-onnx",
        )
    return ()


def diagnose_detector(path: Path) -> DetectorDiagnosis:
    """Describe a text detector's folder and try every model file in it with its runtime.

    Raises:
        ConfigError: its inference.yml is not readable.
    """
    formats, problems = model_formats(path)
    config = read_inference_yml(path)
    if config and not (config.get("Global") or {}).get("model_name"):
        problems.append("inference.yml has no Global.model_name: paddleocr 3.x then tries to download a model")
    try:
        settings = read_settings(config, path)
    except ConfigError as exc:
        settings = DetectorSettings()
        problems.append(str(exc))
    checks = tuple(check_detector_runtime(path, f) for f in formats)
    problems += [f"{c.model_format.value}: {c.detail}" for c in checks if not c.ok]
    return DetectorDiagnosis(path, formats, config, settings, checks, tuple(problems), _onnx_hint(path, formats))


def diagnose(path: Path, dict_path: Path | None = None) -> Diagnosis | DetectorDiagnosis:
    """Read the folder (a recognizer's, or a detector's) and try every model file in it with its runtime.

    Raises:
        ConfigError: `path` is not a folder.
    """
    try:
        folder = read_folder(path, dict_path)
    except NotARecognizer:
        return diagnose_detector(path)
    checks = tuple(check_runtime(folder, f) for f in folder.formats)
    runtime_problems = tuple(f"{c.model_format.value}: {c.detail}" for c in checks if not c.ok)
    return Diagnosis(folder, checks, folder.problems + runtime_problems, _onnx_hint(path, folder.formats))
