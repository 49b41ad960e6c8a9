"""PaddleOCR training configs (the YAML `tools/train.py -c` reads), generated from a thaigen dataset.

Keys follow PaddleOCR v3.0.0's documented config layout (Global, Architecture, Loss, Optimizer,
PostProcess, Metric, Train, Eval); the values come from the dataset's manifest.json and dict.txt, so
the dictionary, label length and space handling always match the data.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from thaigen.dataset import lmdb, paths
from thaigen.dataset.detection import is_det_set
from thaigen.dataset.labels import count_lines
from thaigen.dataset.manifest import read_manifest
from thaigen.errors import DatasetError
from thaigen.inspect.lint import Finding, lint_det_file, lint_file, rules_for
from thaigen.inspect.rec_width import DEFAULT_WIDTH, REC_INPUTS, LineShapes, RecWidth, fit_width, line_shapes


class Arch(StrEnum):
    """Architectures the bridge can train."""

    CRNN = "crnn"
    SVTR = "svtr"
    PPOCRV5_TH = "ppocrv5-th"
    DB = "db"


@dataclass(frozen=True)
class ArchSpec:
    """What an architecture needs from its data and what it trains best with.

    Attributes:
        algorithm: PaddleOCR's Architecture.algorithm.
        model_type: "rec" or "det".
        image_shape: C, H, W the network reads, px (recognisers: W is the default; RecFit fits it to the data).
        time_steps: CTC time steps at that width (recognisers only).
        epochs, learning_rate, batch_size: defaults for a GPU run from scratch (batch per card).
        model_name: Global.model_name written into the exported inference.yml (paddleocr 3.x loads
            a model_dir only when it is given this same name).
        nrtr_margin: code points the NRTR branch needs beside the label (its start and end tokens;
            NRTRLabelEncode drops labels longer than max_text_length - 2).
    """

    algorithm: str
    model_type: str
    image_shape: tuple[int, int, int]
    time_steps: int | None
    epochs: int
    learning_rate: float
    batch_size: int
    model_name: str
    nrtr_margin: int = 0


def _rec_input(arch: Arch) -> tuple[tuple[int, int, int], int]:
    """A recogniser's (C, H, W) and CTC time steps at the default width, from thaigen's REC_INPUTS."""
    model = REC_INPUTS[arch]
    return (3, model.height, DEFAULT_WIDTH), model.steps(DEFAULT_WIDTH)


ARCHS: dict[Arch, ArchSpec] = {
    # CRNN at 32 px high: PaddleOCR's exporter fixes H=32 for this family (`infer_shape = [3, 32, -1]`
    # in ppocr/utils/export_model.py), so a 48 px model would export with the wrong input. MobileNetV3
    # halves the width twice (stem, final pool): 80 time steps at width 320.
    Arch.CRNN: ArchSpec("CRNN", "rec", *_rec_input(Arch.CRNN), 100, 0.001, 128, "PP-OCRv4_mobile_rec"),
    # PP-OCRv4 mobile recogniser layout: PPLCNetV3 + SVTR neck, CTC head guided by an NRTR head in
    # training; 48 px keeps Thai stacked marks legible; 40 time steps in training at any width (RecInput).
    Arch.SVTR: ArchSpec("SVTR_LCNet", "rec", *_rec_input(Arch.SVTR), 100, 0.0005, 128, "PP-OCRv4_mobile_rec", 2),
    # The official Thai recogniser's recipe, to fine-tune its weights: PaddleOCR's
    # configs/rec/PP-OCRv5/multi_language/th_PP-OCRv5_mobile_rec.yaml. The same network as svtr (so the
    # same parameter names and shapes), trained as that yaml trains it: 75 epochs, RecConAug + RecAug,
    # MultiScaleDataSet with a MultiScaleSampler over heights 32/48/64.
    Arch.PPOCRV5_TH: ArchSpec(
        "SVTR_LCNet", "rec", *_rec_input(Arch.PPOCRV5_TH), 75, 0.0005, 128, "th_PP-OCRv5_mobile_rec", 2
    ),
    Arch.DB: ArchSpec("DB", "det", (3, 640, 640), None, 500, 0.001, 16, "PP-OCRv4_mobile_det"),
}


@dataclass(frozen=True)
class Layout:
    """Where a dataset's parts are: one folder locally, or one folder per SageMaker channel."""

    train_dir: Path
    val_dir: Path
    dict_path: Path
    manifest_path: Path

    @classmethod
    def of(cls, train_dir: Path, val_dir: Path | None = None) -> Layout:
        """A dataset as `thaigen build` writes it (one folder), or split over two channel folders.

        The dictionary and manifest are the ones beside the training labels.
        """
        train_dir = train_dir.resolve()
        return cls(train_dir, (val_dir or train_dir).resolve(), train_dir / paths.DICT, train_dir / paths.MANIFEST)

    @property
    def train_labels(self) -> Path:
        return self.train_dir / paths.TRAIN_LABELS

    @property
    def val_labels(self) -> Path:
        return self.val_dir / paths.VAL_LABELS


STREAM_DATASET = "ThaigenStream"
"""Train.dataset.name of a training set drawn from thaigen as PaddleOCR trains (trainers/paddleocr/stream_dataset.py)."""


@dataclass(frozen=True)
class Stream:
    """A training set drawn from a thaigen config as training asks for it (`thaigen train --stream`).

    Attributes:
        config: the thaigen config, as JSON with absolute paths (read inside PaddleOCR's process).
        first_index: the first sample index trained on (the config's count: the val set is the val split below it).
        epoch_size: samples per epoch (the config's count).
        most_steps: CTC steps the longest label of any index can need (the config's ctc_time_steps).
    """

    config: Path
    first_index: int
    epoch_size: int
    most_steps: int


@dataclass(frozen=True)
class TrainOptions:
    """Choices for one run; None means the architecture's default."""

    arch: Arch
    output_dir: Path
    use_gpu: bool = True
    epochs: int | None = None
    learning_rate: float | None = None
    batch_size: int | None = None
    pretrained_model: Path | None = None
    checkpoint: Path | None = None
    eval_every: int | None = None
    """Evaluate every this many iterations (default: once per epoch)."""
    save_epoch_step: int = 10
    num_workers: int = 4
    model_name: str | None = None


DET_EVAL_SIDE = 960
"""DetResizeForTest limit_side_len (limit type max) for a det set without a manifest: PaddleOCR's default."""
DET_MAX_EVAL_SIDE = 1600
"""Largest evaluation side fitted to a det set's pages: larger pages are scaled down to it."""
DET_MIN_TEXT_SIZE = 8
"""MakeShrinkMap's min_text_size (px, shorter side) for a det set without a manifest: PaddleOCR's default."""


@dataclass(frozen=True)
class DetFit:
    """What a det config takes from the dataset: evaluation page size and the smallest box trained on, px."""

    eval_side: int = DET_EVAL_SIDE
    min_text_size: int = DET_MIN_TEXT_SIZE

    @classmethod
    def of(cls, manifest: dict[str, Any]) -> DetFit:
        """From a det manifest's `paddleocr` section: the pages' largest long side (a multiple of 32, capped at
        DET_MAX_EVAL_SIDE) and the size under which thaigen marked boxes `###`; defaults for what it lacks."""
        paddle = manifest.get("paddleocr") or {}
        long_side = paddle.get("long_side_px")
        side = min(DET_MAX_EVAL_SIDE, -(-int(long_side[1]) // 32) * 32) if long_side else DET_EVAL_SIDE
        return cls(side, int(paddle.get("min_text_size", DET_MIN_TEXT_SIZE)))


@dataclass(frozen=True)
class RecFit:
    """What a rec config takes from the dataset: the training input (C, H, W px) and the CTC steps at it."""

    image_shape: tuple[int, int, int]
    time_steps: int
    wanted: int
    """Width the lines need, px: above the fitted one when MAX_WIDTH capped it."""

    @classmethod
    def of(cls, layout: Layout, arch: Arch, most_steps: int | None = None) -> RecFit:
        """`arch`'s input widened to the training folder's lines (thaigen.inspect.rec_width.fit_width); the
        architecture's default for a set of short lines. `most_steps`: the CTC steps to hold in place of the
        longest label's (a stream's bound for labels not drawn yet).

        Raises:
            DatasetError: the label files are missing.
        """
        shapes = line_shapes(layout.train_dir)
        if shapes is not None and most_steps is not None:
            shapes = LineShapes(most_steps, shapes.aspect)
        fitted: RecWidth = fit_width(REC_INPUTS[arch], shapes)
        channels, height, _ = ARCHS[arch].image_shape
        return cls((channels, height, fitted.width), fitted.steps, fitted.wanted)


def _decode() -> dict[str, Any]:
    return {"DecodeImage": {"img_mode": "BGR", "channel_first": False}}


def _keep(*keys: str) -> dict[str, Any]:
    return {"KeepKeys": {"keep_keys": list(keys)}}


GUIDED_ARCHS = (Arch.SVTR, Arch.PPOCRV5_TH)
"""PPLCNetV3 + SVTR neck with a CTC head guided by an NRTR head in training (MultiHead, MultiLoss)."""
MULTI_SCALE_HEIGHTS = (32, 48, 64)
"""MultiScaleSampler's heights in th_PP-OCRv5_mobile_rec.yaml (all at the training width: 320 there)."""


def _rec_transforms(arch: Arch, fit: RecFit, train: bool = False, max_text_length: int = 0) -> list[dict[str, Any]]:
    """Recogniser transforms at the fitted input; ppocrv5-th's training adds the official RecConAug + RecAug and
    leaves the resize to MultiScaleDataSet (its sampler picks each batch's scale). `max_text_length`: the data's,
    for RecConAug."""
    shape = list(fit.image_shape)
    resize = {"RecResizeImg": {"image_shape": shape}}
    if arch in GUIDED_ARCHS:
        encode = {"MultiLabelEncode": {"gtc_encode": "NRTRLabelEncode"}}
        keep = _keep("image", "label_ctc", "label_gtc", "length", "valid_ratio")
        if arch is Arch.PPOCRV5_TH and train:
            concat: dict[str, Any] = {"prob": 0.5, "ext_data_num": 2, "image_shape": [shape[1], shape[2], shape[0]]}
            augment: list[dict[str, Any]] = [{"RecConAug": concat | {"max_text_length": max_text_length}}, {"RecAug": None}]
            return [_decode(), *augment, encode, keep]
        return [_decode(), encode, resize, keep]
    return [_decode(), {"CTCLabelEncode": None}, resize, _keep("image", "label", "length")]


def _det_transforms(train: bool, fit: DetFit) -> list[dict[str, Any]]:
    normalize = {
        "NormalizeImage": {
            "scale": "1./255.",
            "mean": [0.485, 0.456, 0.406],
            "std": [0.229, 0.224, 0.225],
            "order": "hwc",
        }
    }
    if not train:
        resize = {"DetResizeForTest": {"limit_side_len": fit.eval_side, "limit_type": "max"}}
        return [
            _decode(),
            {"DetLabelEncode": None},
            resize,
            normalize,
            {"ToCHWImage": None},
            _keep("image", "shape", "polys", "ignore_tags"),
        ]
    size = list(ARCHS[Arch.DB].image_shape[1:])
    return [
        _decode(),
        {"DetLabelEncode": None},
        {"EastRandomCropData": {"size": size, "max_tries": 50, "keep_ratio": True}},
        {"MakeBorderMap": {"shrink_ratio": 0.4, "thresh_min": 0.3, "thresh_max": 0.7}},
        {"MakeShrinkMap": {"shrink_ratio": 0.4, "min_text_size": fit.min_text_size}},
        normalize,
        {"ToCHWImage": None},
        _keep("image", "threshold_map", "threshold_mask", "shrink_map", "shrink_mask"),
    ]


def _architecture(arch: Arch, max_text_length: int) -> dict[str, Any]:
    spec = ARCHS[arch]
    base: dict[str, Any] = {"model_type": spec.model_type, "algorithm": spec.algorithm, "Transform": None}
    if arch is Arch.CRNN:
        return base | {
            "Backbone": {"name": "MobileNetV3", "scale": 0.5, "model_name": "large"},
            "Neck": {"name": "SequenceEncoder", "encoder_type": "rnn", "hidden_size": 96},
            "Head": {"name": "CTCHead", "fc_decay": 0.00001},
        }
    if arch in GUIDED_ARCHS:
        ctc_neck = {
            "name": "svtr",
            "dims": 120,
            "depth": 2,
            "hidden_dims": 120,
            "kernel_size": [1, 3],
            "use_guide": True,
        }
        return base | {
            "Backbone": {"name": "PPLCNetV3", "scale": 0.95},
            "Head": {
                "name": "MultiHead",
                "head_list": [
                    {"CTCHead": {"Neck": ctc_neck, "Head": {"fc_decay": 0.00001}}},
                    {"NRTRHead": {"nrtr_dim": 384, "max_text_length": max_text_length}},
                ],
            },
        }
    return base | {
        "Backbone": {"name": "MobileNetV3", "scale": 0.5, "model_name": "large", "disable_se": True},
        "Neck": {"name": "DBFPN", "out_channels": 96, "use_asf": False},
        "Head": {"name": "DBHead", "k": 50},
    }


def _loss(arch: Arch) -> dict[str, Any]:
    if arch in GUIDED_ARCHS:
        return {"name": "MultiLoss", "loss_config_list": [{"CTCLoss": None}, {"NRTRLoss": None}]}
    if arch is Arch.CRNN:
        return {"name": "CTCLoss"}
    return {
        "name": "DBLoss",
        "balance_loss": True,
        "main_loss_type": "DiceLoss",
        "alpha": 5,
        "beta": 10,
        "ohem_ratio": 3,
    }


def _dataset(split_dir: Path, labels: Path, transforms: list[dict[str, Any]], multi_scale: bool = False) -> dict[str, Any]:
    if lmdb.is_lmdb(split_dir / labels.stem):  # build --format lmdb: train/ and val/ LMDBs, no label files
        return {"name": "LMDBDataSet", "data_dir": str(split_dir / labels.stem), "transforms": transforms}
    dataset: dict[str, Any] = {
        "name": "SimpleDataSet",
        "data_dir": str(split_dir),
        "label_file_list": [str(labels)],
        "delimiter": "\t",
        "transforms": transforms,
    }
    if multi_scale:  # as th_PP-OCRv5_mobile_rec.yaml: fixed width, RecConAug fetches its extra samples at op 1
        dataset |= {"name": "MultiScaleDataSet", "ds_width": False, "ext_op_transform_idx": 1}
    return dataset


def _multi_scale_sampler(batch_size: int, width: int) -> dict[str, Any]:
    return {
        "name": "MultiScaleSampler",
        "scales": [[width, height] for height in MULTI_SCALE_HEIGHTS],
        "first_bs": batch_size,
        "fix_bs": False,
        "divided_factor": [8, 16],
        "is_training": True,
    }


def _loader(batch_size: int, workers: int, train: bool) -> dict[str, Any]:
    # Shared memory off: Docker's default /dev/shm (64 MB) is too small for PaddleOCR's loader.
    return {
        "shuffle": train,
        "drop_last": train,
        "batch_size_per_card": batch_size,
        "num_workers": workers,
        "use_shared_memory": False,
    }


def _stream_dataset(stream: Stream, transforms: list[dict[str, Any]], rules: dict[str, Any] | None) -> dict[str, Any]:
    """Train.dataset drawing from thaigen; `rules`: what each drawn label is linted against (rec)."""
    return {
        "name": STREAM_DATASET,
        "thaigen_config": str(stream.config),
        "first_index": stream.first_index,
        "epoch_size": stream.epoch_size,
        "lint": rules,
        "transforms": transforms,
    }


def build_config(layout: Layout, options: TrainOptions, stream: Stream | None = None) -> dict[str, Any]:
    """The full PaddleOCR config for training `options.arch` on the dataset at `layout`, or on samples drawn from
    `stream` as training runs (evaluated on `layout`'s val split).

    Raises:
        DatasetError: the manifest or label files are missing.
    """
    spec = ARCHS[options.arch]
    epochs = options.epochs or spec.epochs
    learning_rate = options.learning_rate or spec.learning_rate
    batch_size = options.batch_size or spec.batch_size
    samples = stream.epoch_size if stream else split_samples(layout, lmdb.TRAIN)
    per_epoch = iterations_per_epoch(samples, batch_size)
    out = options.output_dir.resolve()
    global_: dict[str, Any] = {
        "model_name": options.model_name or spec.model_name,
        "use_gpu": options.use_gpu,
        "epoch_num": epochs,
        "log_smooth_window": 20,
        "print_batch_step": min(10, per_epoch),
        "save_model_dir": str(out),
        "save_epoch_step": options.save_epoch_step,
        "eval_batch_step": [0, options.eval_every or per_epoch],
        "cal_metric_during_train": spec.model_type == "rec",
        "pretrained_model": str(options.pretrained_model) if options.pretrained_model else None,
        "checkpoints": str(options.checkpoint) if options.checkpoint else None,
        "save_inference_dir": None,
        "use_visualdl": False,
        "save_res_path": str(out / "predicts.txt"),
        "distributed": False,
    }
    eval_batch = batch_size
    if spec.model_type == "rec":
        paddle = read_manifest(layout.manifest_path)["paddleocr"] if layout.manifest_path.is_file() else {}
        if not paddle:
            raise DatasetError(f"manifest not found: {layout.manifest_path} (build the dataset with thaigen)")
        global_ |= {
            "character_dict_path": str(layout.dict_path),
            "max_text_length": int(paddle["max_text_length"]) + spec.nrtr_margin,
            "use_space_char": bool(paddle["use_space_char"]) or stream is not None,  # a stream's dict holds no space
            "infer_mode": False,
        }
        fit = RecFit.of(layout, options.arch, stream.most_steps if stream else None)
        lint: dict[str, Any] | None = {"max_text_length": int(paddle["max_text_length"]), "time_steps": fit.time_steps}
        if fit.wanted > fit.image_shape[2]:
            warnings.warn(
                f"{layout.train_dir}: its lines need {fit.wanted} px at {fit.image_shape[1]} px high; "
                f"--arch {options.arch} trains at the cap, {fit.image_shape[2]} px, squeezing the longest",
                stacklevel=2,
            )
        shape = list(fit.image_shape)
        train_t = _rec_transforms(options.arch, fit, train=True, max_text_length=int(paddle["max_text_length"]))
        eval_t = _rec_transforms(options.arch, fit)
        post: dict[str, Any] = {"name": "CTCLabelDecode"}
        metric: dict[str, Any] = {"name": "RecMetric", "main_indicator": "acc", "ignore_space": False}
    else:
        det_fit = DetFit.of(read_manifest(layout.manifest_path)) if layout.manifest_path.is_file() else DetFit()
        lint = None
        train_t, eval_t = _det_transforms(True, det_fit), _det_transforms(False, det_fit)
        shape = list(spec.image_shape)
        post = {"name": "DBPostProcess", "thresh": 0.3, "box_thresh": 0.6, "max_candidates": 1000, "unclip_ratio": 1.5}
        metric = {"name": "DetMetric", "main_indicator": "hmean"}
        eval_batch = 1  # DetResizeForTest gives each image its own size
    if options.arch is Arch.PPOCRV5_TH:
        global_["d2s_train_image_shape"] = shape
    warmup = min(5, epochs // 10)
    multi_scale = options.arch is Arch.PPOCRV5_TH
    train: dict[str, Any] = {"dataset": _dataset(layout.train_dir, layout.train_labels, train_t, multi_scale)}
    if stream:
        train["dataset"] = _stream_dataset(stream, train_t, lint)
        if multi_scale:  # RecConAug fetches its extra samples at op 1, as in the label-file set
            train["dataset"]["ext_op_transform_idx"] = 1
    if multi_scale:
        train["sampler"] = _multi_scale_sampler(batch_size, shape[2])
    train["loader"] = _loader(batch_size, options.num_workers, train=True)
    return {
        "Global": global_,
        "Optimizer": {
            "name": "Adam",
            "beta1": 0.9,
            "beta2": 0.999,
            "lr": {"name": "Cosine", "learning_rate": learning_rate, "warmup_epoch": warmup},
            "regularizer": {"name": "L2", "factor": 3.0e-05},
        },
        "Architecture": _architecture(options.arch, global_.get("max_text_length", 0)),
        "Loss": _loss(options.arch),
        "PostProcess": post,
        "Metric": metric,
        "Train": train,
        "Eval": {
            "dataset": _dataset(layout.val_dir, layout.val_labels, eval_t),
            "loader": _loader(eval_batch, options.num_workers, train=False),
        },
    }


def write_config(config: dict[str, Any], path: Path) -> Path:
    """Write a config as PaddleOCR reads it (block-style YAML, Thai kept readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def split_samples(layout: Layout, split: str) -> int:
    """Samples in a split (lmdb.TRAIN or lmdb.VAL): lines of its label file, or num-samples of its LMDB
    (build --format lmdb).

    Raises:
        DatasetError: neither is there.
    """
    train = split == lmdb.TRAIN
    folder, labels = (layout.train_dir, layout.train_labels) if train else (layout.val_dir, layout.val_labels)
    if lmdb.is_lmdb(folder / split):
        return lmdb.count_samples(folder / split)
    if not labels.is_file():
        raise DatasetError(f"label file not found: {labels}")
    return count_lines(labels)


EMPTY_SPLIT_FIX = {
    lmdb.TRAIN: "rebuild it with a larger --count (or a smaller --val-fraction)",
    lmdb.VAL: "rebuild it with --val-fraction above 0 (PaddleOCR evaluates on it and the export is checked on it)",
}


def require_samples(layout: Layout) -> None:
    """Refuse a dataset with an empty split before training starts (an empty val split used to fail only in export).

    Raises:
        DatasetError: a split has no samples or no label file.
    """
    for split, folder in ((lmdb.TRAIN, layout.train_dir), (lmdb.VAL, layout.val_dir)):
        if split_samples(layout, split) == 0:
            raise DatasetError(f"dataset {folder} has an empty {split} split (0 samples); {EMPTY_SPLIT_FIX[split]}")


KIND_NAMES = {"rec": ("recognition", "--task rec"), "det": ("detection", "--task det")}
"""ArchSpec.model_type -> the kind of dataset it trains on, and the build option that makes one."""


def _kind_hint(model_type: str) -> str:
    """Which architectures train on a dataset of this kind, for an error naming the wrong one."""
    fitting = ", ".join(arch.value for arch in Arch if ARCHS[arch].model_type == model_type)
    return f"this is a {KIND_NAMES[model_type][0]} set: train it with --arch {fitting}"


def _validate_lmdb(layout: Layout, arch: Arch) -> list[Finding]:
    """An LMDB set by its manifest: thaigen wrote it, so its longest label and most CTC steps are recorded there.

    Raises:
        DatasetError: the manifest is missing, the arch is a detector, or the labels do not fit the architecture.
    """
    if ARCHS[arch].time_steps is None:
        raise DatasetError(f"{layout.train_dir} holds LMDBs (build --format lmdb writes recognition sets only); --arch "
                           f"{arch} trains on a detection set (thaigen build --task det); {_kind_hint('rec')}")
    manifest = read_manifest(layout.manifest_path)
    limit = int(manifest["paddleocr"]["max_text_length"])
    steps = RecFit.of(layout, arch).time_steps
    if int(manifest["most_ctc_steps"]) > steps or int(manifest["longest_label_code_points"]) > limit:
        raise DatasetError(f"LMDB set {layout.train_dir} does not fit --arch {arch} (labels, CTC steps: see its manifest)")
    return []


def _require_kind(labels: Path, arch: Arch) -> None:
    """Refuse a label file of the other kind (a det set given to a recogniser, or the reverse).

    Raises:
        DatasetError: naming the file, what --arch trains on, and which --arch fits the file.
    """
    wanted = ARCHS[arch].model_type
    found = "det" if is_det_set([labels]) else "rec"
    if found != wanted:
        kind, build = KIND_NAMES[wanted]
        raise DatasetError(
            f"{labels} is not a {kind} label file; --arch {arch} trains on a {kind} set (thaigen build {build}); "
            f"{_kind_hint(found)}"
        )


def validate(layout: Layout, arch: Arch) -> list[Finding]:
    """Every label PaddleOCR would drop or mangle when training `arch` on this data (empty: all good).

    Recognisers: both label files against the dataset's dict, max_text_length and the architecture's CTC
    time steps at the width RecFit gives it (thaigen.inspect.lint's rules, with the model's steps in place of the
    ones the data was built for). DB: every page's image exists, has at least one box that is not `###` and holds all its points.

    Raises:
        DatasetError: a split is empty, a label file or the dictionary is missing, the data is of the other kind
            (det for a recogniser, rec for DB), or a det label line does not parse.
    """
    require_samples(layout)
    if lmdb.is_lmdb_set(layout.train_dir):
        return _validate_lmdb(layout, arch)
    splits = ((layout.train_labels, layout.train_dir), (layout.val_labels, layout.val_dir))
    for labels, _root in splits:
        _require_kind(labels, arch)
    if ARCHS[arch].model_type == "det":
        return [finding for labels, root in splits for finding in lint_det_file(labels, root)]
    rules = rules_for(layout.manifest_path.parent, None, RecFit.of(layout, arch).time_steps, layout.dict_path)
    return [finding for labels, root in splits for finding in lint_file(labels, root, rules)]


def require_valid(layout: Layout, arch: Arch) -> None:
    """Refuse to launch a run on data PaddleOCR would silently thin out.

    Raises:
        DatasetError: one line with the number of problems and the first one.
    """
    findings = validate(layout, arch)
    if findings:
        hint = "; `thaigen lint` lists them all" if ARCHS[arch].model_type == "rec" else ""
        pooled = REC_INPUTS[arch].pooled_steps if arch in REC_INPUTS else None
        if pooled and any("CTC steps" in finding.problem for finding in findings):
            hint += f" (--arch {arch} trains with {pooled} CTC steps at any width: train longer lines with --arch crnn)"
        raise DatasetError(f"{len(findings)} label problem(s) for --arch {arch}, first: {findings[0]}{hint}")


def iterations_per_epoch(samples: int, batch_size: int) -> int:
    """Training iterations in one epoch (PaddleOCR drops the last partial batch; at least one)."""
    return max(1, samples // batch_size)
