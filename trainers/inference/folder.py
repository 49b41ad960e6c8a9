"""What an exported recognizer folder holds: model files, inference.yml, dictionary, input shape, and problems.

PaddleOCR 2.x exports inference.pdmodel, 3.x inference.json (both with inference.pdiparams and,
since 2.9, inference.yml); paddle2onnx adds inference.onnx. Reading a folder never runs a model;
`trainers.inference.doctor` does that.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import yaml

from thaigen.dataset.dictionary import read_dictionary
from thaigen.errors import ConfigError
from trainers.inference.ctc import character_table
from trainers.inference.image import InputShape

CONFIG_FILE = "inference.yml"
PARAMS_FILE = "inference.pdiparams"
DEFAULT_SHAPE = InputShape(3, 48, 320)
"""PP-OCRv3/v4/v5 rec input, assumed when inference.yml does not say."""
RESIZE_OPS = frozenset({"RecResizeImg"})
IGNORED_OPS = frozenset(
    {"DecodeImage", "KeepKeys", "MultiLabelEncode", "CTCLabelEncode", "SARLabelEncode", "NRTRLabelEncode"}
)
"""Decoding and label-encoding ops: thaigen does the first itself and needs no labels at inference."""
PADDLEOCR3_OPS = frozenset({"DecodeImage", "RecResizeImg", "MultiLabelEncode", "KeepKeys"})
"""The only pre-process ops paddleocr 3.x accepts in a rec model's inference.yml."""
DETECTOR_POSTPROCESS = frozenset(
    {
        "DBPostProcess",
        "DistillationDBPostProcess",
        "EASTPostProcess",
        "SASTPostProcess",
        "PSEPostProcess",
        "FCEPostProcess",
        "CTPostProcess",
        "DRRGPostProcess",
    }
)
"""PaddleOCR's text-detection post-processes: a folder whose inference.yml names one holds a detector."""


class NotARecognizer(ConfigError):
    """A text detector's folder given where a recognizer is expected."""


class ModelFormat(Enum):
    """A model file a recognizer folder may hold, in the order thaigen prefers to run them."""

    ONNX = "inference.onnx"
    PADDLE3 = "inference.json"
    PADDLE2 = "inference.pdmodel"

    @property
    def description(self) -> str:
        """What wrote this kind of file."""
        return {
            ModelFormat.ONNX: "ONNX model (paddle2onnx)",
            ModelFormat.PADDLE3: "Paddle 3.x program (PIR JSON, PaddleOCR 3.x export)",
            ModelFormat.PADDLE2: "Paddle 2.x program (ProgramDesc, PaddleOCR 2.x export)",
        }[self]


@dataclass(frozen=True)
class ModelFolder:
    """An exported recognizer folder as read from disk."""

    path: Path
    formats: tuple[ModelFormat, ...]
    """Model files present, preferred first."""
    config: Mapping[str, Any] | None
    """inference.yml, when present and readable."""
    model_name: str | None
    shape: InputShape
    characters: tuple[str, ...] | None
    """The dictionary (no blank), or None when neither inference.yml nor --dict gives one."""
    dict_source: str | None
    use_space_char: bool
    preprocess: tuple[str, ...]
    postprocess: str | None
    problems: tuple[str, ...]
    """What is wrong or missing, in plain words."""

    @property
    def table(self) -> tuple[str, ...] | None:
        """The CTC head's classes (blank, dictionary, space), or None without a dictionary."""
        return None if self.characters is None else character_table(self.characters, self.use_space_char)

    def model_file(self, model_format: ModelFormat) -> Path:
        """Path of one of the folder's model files."""
        return self.path / model_format.value


def model_formats(path: Path) -> tuple[tuple[ModelFormat, ...], list[str]]:
    """The model files in folder `path`, preferred first, and what is missing among them."""
    formats = tuple(f for f in ModelFormat if (path / f.value).is_file())
    problems = (
        [] if formats else ["no model file: expected inference.onnx, inference.json (3.x) or inference.pdmodel (2.x)"]
    )
    if any(f is not ModelFormat.ONNX for f in formats) and not (path / PARAMS_FILE).is_file():
        problems.append(f"{PARAMS_FILE} is missing: the Paddle program has no weights beside it")
    return formats, problems


def postprocess_name(config: Mapping[str, Any]) -> str | None:
    """inference.yml's PostProcess name, e.g. CTCLabelDecode (a recognizer) or DBPostProcess (a detector)."""
    post = config.get("PostProcess")
    name = post.get("name") if isinstance(post, Mapping) else None
    return None if name is None else str(name)


def read_inference_yml(folder: Path) -> Mapping[str, Any]:
    """The folder's inference.yml, empty when there is none (the one reader of it, recognizers and detectors alike).

    Raises:
        ConfigError: it is not readable YAML or not a mapping (the message names the file).
    """
    path = folder / CONFIG_FILE
    if not path.is_file():
        return {}
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not readable YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(config, Mapping):
        raise ConfigError(f"{path} is not a mapping")
    return config


def _read_config(folder: Path) -> tuple[Mapping[str, Any], str | None]:
    """inference.yml (empty when absent or unreadable) and what is wrong with it."""
    if not (folder / CONFIG_FILE).is_file():
        shape = f"{DEFAULT_SHAPE.channels}x{DEFAULT_SHAPE.height}x{DEFAULT_SHAPE.width}"
        return (
            {},
            f"no {CONFIG_FILE} (a PaddleOCR 2.8 or older export): input assumed {shape}, dictionary needed (--dict)",
        )
    try:
        return read_inference_yml(folder), None
    except ConfigError as problem:
        return {}, str(problem).removeprefix(f"{folder}/")


def transform_ops(config: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """inference.yml's PreProcess ops as (name, arguments), in order."""
    ops = (config.get("PreProcess") or {}).get("transform_ops") or []
    return [(name, args or {}) for op in ops if isinstance(op, Mapping) for name, args in op.items()]


def _shape(ops: Sequence[tuple[str, Mapping[str, Any]]], problems: list[str]) -> InputShape:
    for name, args in ops:
        if name in RESIZE_OPS and "image_shape" in args:
            channels, height, width = (int(v) for v in args["image_shape"])
            if channels != 3:
                problems.append(f"{name} image_shape has {channels} channels: thaigen feeds 3-channel (BGR) images")
            return InputShape(channels, height, width)
    problems.append(
        f"no RecResizeImg image_shape in {CONFIG_FILE}: assuming {DEFAULT_SHAPE.channels}x{DEFAULT_SHAPE.height}x{DEFAULT_SHAPE.width}"
    )
    return DEFAULT_SHAPE


def _preprocess_problems(names: Sequence[str]) -> list[str]:
    problems = []
    for name in names:
        if name not in RESIZE_OPS | IGNORED_OPS:
            problems.append(
                f"unsupported pre-process op {name}: thaigen only resizes like RecResizeImg, so results may differ"
            )
        elif name not in PADDLEOCR3_OPS:
            problems.append(
                f"pre-process op {name} makes paddleocr 3.x fail with a bare AssertionError (thaigen ignores it)"
            )
    return problems


def _dictionary_problems(characters: Sequence[str], source: str) -> list[str]:
    problems = []
    repeated = sorted(ch for ch, n in Counter(characters).items() if n > 1)
    if repeated:
        problems.append(f"dictionary {source} repeats {' '.join(map(repr, repeated))}: every later class is shifted")
    if "" in characters:
        problems.append(f"dictionary {source} has an empty entry")
    return problems


def read_folder(path: Path, dict_path: Path | None = None) -> ModelFolder:
    """Read a recognizer folder; `dict_path` overrides the dictionary in inference.yml.

    Raises:
        NotARecognizer: inference.yml names a text detector's post-process.
        ConfigError: `path` is not a folder, or `dict_path` is unreadable.
    """
    if not path.is_dir():
        raise ConfigError(f"model folder not found: {path}")
    formats, problems = model_formats(path)
    config, config_problem = _read_config(path)
    postprocess = postprocess_name(config)
    if postprocess in DETECTOR_POSTPROCESS:
        raise NotARecognizer(f"{path} is a text detector ({postprocess}), not a recognizer: pass it as --det")
    problems += [config_problem] if config_problem else []
    model_name = (config.get("Global") or {}).get("model_name")
    if config and not model_name:
        problems.append(
            "inference.yml has no Global.model_name: paddleocr 3.x then tries to download a model and fails offline"
        )
    ops = transform_ops(config)
    shape = _shape(ops, problems) if config else DEFAULT_SHAPE
    problems += _preprocess_problems([name for name, _ in ops])
    post = config.get("PostProcess") or {}
    if postprocess not in (None, "CTCLabelDecode"):
        problems.append(f"post-process {postprocess} is not CTCLabelDecode: thaigen decodes CTC heads only")
    if dict_path is not None:
        characters: tuple[str, ...] | None = read_dictionary(dict_path)
        dict_source: str | None = str(dict_path)
    elif post.get("character_dict"):
        characters, dict_source = (
            tuple(str(ch) for ch in post["character_dict"]),
            f"{CONFIG_FILE} PostProcess.character_dict",
        )
    else:
        characters = dict_source = None
        problems.append(f"no character dictionary: no PostProcess.character_dict in {CONFIG_FILE} and no --dict")
    if characters is not None and dict_source is not None:
        problems += _dictionary_problems(characters, dict_source)
    return ModelFolder(
        path=path,
        formats=formats,
        config=config or None,
        model_name=model_name,
        shape=shape,
        characters=characters,
        dict_source=dict_source,
        use_space_char=bool(post.get("use_space_char", True)),
        preprocess=tuple(name for name, _ in ops),
        postprocess=postprocess,
        problems=tuple(problems),
    )
