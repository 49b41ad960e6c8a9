"""`thaigen doctor`: what a recognizer folder holds, which runtimes load it, and what is wrong, in plain words."""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

from thaigen.errors import EnvironmentProblem
from trainers.inference.folder import CONFIG_FILE, PADDLEOCR3_OPS, PARAMS_FILE, ModelFolder, ModelFormat, read_folder
from trainers.inference.recognizer import ModelLoadError, open_backend, output_problem, probe

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
        files = sorted(p.name for p in f.path.iterdir() if p.is_file())
        lines = [f"model folder: {f.path}", f"files: {', '.join(files) or 'none'}"]
        lines += [f"  {m.value}: {m.description}; runs on {VERSION_NOTE[m]}" for m in f.formats]
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
        lines.append("problems:" if self.problems else "problems: none")
        lines += [f"  - {p}" for p in self.problems]
        lines += [f"hint: {h}" for h in self.hints]
        return "\n".join(lines)


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


def check_runtime(folder: ModelFolder, model_format: ModelFormat) -> RuntimeCheck:
    """Load one model file, run a blank line through it and compare the output with the dictionary."""
    version = f"{RUNTIME_PACKAGE[model_format]} {_version(RUNTIME_PACKAGE[model_format])}"
    try:
        shape = probe(open_backend(folder, model_format), folder)
    except (ModelLoadError, EnvironmentProblem) as exc:
        return RuntimeCheck(model_format, False, f"fails ({version}): {exc}")
    problem = output_problem(shape, folder.table) if folder.table is not None else None
    detail = f"loads ({version}); output {list(shape)}"
    return RuntimeCheck(model_format, problem is None, f"{detail}; {problem}" if problem else detail)


def diagnose(path: Path, dict_path: Path | None = None) -> Diagnosis:
    """Read the folder and try every model file in it with its runtime.

    Raises:
        ConfigError: `path` is not a folder.
    """
    folder = read_folder(path, dict_path)
    checks = tuple(check_runtime(folder, f) for f in folder.formats)
    runtime_problems = tuple(f"{c.model_format.value}: {c.detail}" for c in checks if not c.ok)
    hints: tuple[str, ...] = ()
    if folder.formats and ModelFormat.ONNX not in folder.formats:
        hints = (
            f"no inference.onnx; onnxruntime ran about 2x faster than paddle on CPU here: thaigen doctor {path} --to-onnx",
        )
    return Diagnosis(folder, checks, folder.problems + runtime_problems, hints)
