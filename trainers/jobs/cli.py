"""Commands `train`, `cost` and `paddleocr-source` for thaigen's CLI (entry points in pyproject.toml).

Imports only light modules at top level: paddle, onnxruntime and boto3 load inside the run functions.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from thaigen.cli import Runner
from thaigen.errors import ConfigError
from trainers.jobs.sagemaker import DEFAULT_INSTANCE
from trainers.paddleocr.configs import Arch, Layout, require_valid

ARCH_NAMES = tuple(arch.value for arch in Arch)


def _hyperparameters(args: argparse.Namespace) -> dict[str, str]:
    """The run's options as SageMaker-style string hyperparameters (what the entrypoint reads)."""
    values = {
        "arch": args.arch,
        "use_gpu": str(args.device == "gpu").lower(),
        "epochs": args.epochs,
        "learning_rate": args.learning_rate,
        "batch_size": args.batch_size,
        "eval_every": args.eval_every,
        "num_workers": args.workers,
        "model_name": args.model_name,
        "pretrained_model": args.pretrained,
        "max_minutes": args.max_minutes,
        "stream": read_stream_config(args.stream) if args.stream else None,
    }
    return {key: str(value) for key, value in values.items() if value is not None}


SAGEMAKER_VALUE_LIMIT = 2500
"""Characters a SageMaker hyperparameter value may hold (CreateTrainingJob's HyperParameters)."""


def read_stream_config(path: Path) -> str:
    """The YAML text of a --stream config file.

    Raises:
        ConfigError: the file is missing or unreadable.
    """
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"--stream config not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read --stream config {path}: {exc}") from None


def add_train(parser: argparse.ArgumentParser) -> Runner:
    """train a PaddleOCR model on a dataset, locally or on SageMaker, and export it (Paddle + ONNX)"""
    parser.add_argument(
        "dataset", type=Path, nargs="?", help="dataset folder from `thaigen build` (--task det for db); or --stream"
    )
    parser.add_argument(
        "--stream", type=Path, metavar="CONFIG",
        help="no dataset: draw every training sample from this thaigen config as training runs (count per epoch, "
             "new ones each epoch; evaluated on the config's val split). crnn, svtr and db",
    )
    parser.add_argument(
        "--arch", choices=ARCH_NAMES, required=True,
        help="crnn (32x320), svtr (48x320), ppocrv5-th (the official Thai model's recipe, to fine-tune it) or db",
    )
    parser.add_argument("--backend", choices=("local", "sagemaker"), default="local")
    parser.add_argument(
        "--out", type=Path, help="run folder (default runs/<dataset>-<arch>); the model lands in OUT/model"
    )
    parser.add_argument(
        "--device", choices=("gpu", "cpu"), default="gpu", help="local device (default gpu; sagemaker: gpu)"
    )
    parser.add_argument("--epochs", type=int, help="default per arch: crnn/svtr 100, db 500")
    parser.add_argument("--learning-rate", type=float, help="peak Adam learning rate, cosine schedule")
    parser.add_argument("--batch-size", type=int, help="per device (default 128 rec, 16 det)")
    parser.add_argument("--eval-every", type=int, help="evaluate every N iterations (default: once per epoch)")
    parser.add_argument("--workers", type=int, help="data loader workers (default 4)")
    parser.add_argument(
        "--pretrained", type=Path, help="weights to start from: a .pdparams file, or a folder with best_accuracy.pdparams"
    )
    parser.add_argument("--model-name", help="Global.model_name for paddleocr 3.x (default PP-OCRv4_mobile_rec/_det)")
    parser.add_argument("--max-minutes", type=float, help="stop training after this long and export the best weights")
    cloud = parser.add_argument_group("sagemaker backend")
    cloud.add_argument("--bucket", help="S3 bucket for channels, checkpoints and the model")
    cloud.add_argument("--prefix", default="thaigen", help="S3 key prefix (default thaigen)")
    cloud.add_argument("--image-uri", help="training image built from trainers/jobs/Dockerfile, pushed to ECR")
    cloud.add_argument("--role-arn", help="IAM role SageMaker assumes")
    cloud.add_argument("--instance-type", default=DEFAULT_INSTANCE, help=f"default {DEFAULT_INSTANCE}")
    cloud.add_argument("--instance-count", type=int, default=1,
                       help="hosts (default 1); more, or multi-GPU types, train with paddle.distributed.launch:"
                            " batch per GPU fixed, learning rate x GPUs")
    cloud.add_argument("--on-demand", action="store_true", help="no managed spot")
    cloud.add_argument("--max-run-hours", type=float, default=8.0, help="job time limit (default 8)")
    cloud.add_argument("--region", help="AWS region (default: your AWS config)")
    cloud.add_argument("--endpoint-url", help="S3/SageMaker endpoint (testing against a local AWS-speaking server)")
    return _train


def _train(args: argparse.Namespace) -> int:
    if (args.dataset is None) == (args.stream is None):
        raise ConfigError("train: give a dataset folder or --stream CONFIG.yaml (one of the two)")
    named = args.dataset.resolve().name if args.dataset else args.stream.stem
    out = args.out or Path("runs") / f"{named}-{args.arch}"
    hyperparameters = _hyperparameters(args)
    if args.backend == "local":
        from trainers.jobs.entrypoint import ContractPaths, train_and_export

        card = train_and_export(ContractPaths.local(args.dataset, out), hyperparameters)
        print(f"model: {card.parent} (card {card.name})")
        return 0
    if args.device == "cpu":
        raise ConfigError("--device cpu is for --backend local; SageMaker runs train on the instance's GPU")
    if args.pretrained is not None:
        raise ConfigError(
            f"--pretrained {args.pretrained} is a file on this machine, which --backend sagemaker does not upload; "
            "fine-tune with --backend local"
        )
    from trainers.jobs import sagemaker as sagemaker_job

    if args.stream:
        from trainers.jobs.streaming import read_config

        read_config(hyperparameters["stream"])  # a bad config fails here, not in the job
        if len(hyperparameters["stream"]) > SAGEMAKER_VALUE_LIMIT:
            raise ConfigError(f"--stream {args.stream} is {len(hyperparameters['stream'])} characters; a SageMaker "
                              f"hyperparameter holds {SAGEMAKER_VALUE_LIMIT}: name a recipe and override fewer keys")
    else:
        require_valid(Layout.of(args.dataset), Arch(args.arch))  # before uploading anything
    job = sagemaker_job.JobSpec.from_args(args, hyperparameters)
    model_dir = sagemaker_job.run(job, sagemaker_job.clients(args.region, args.endpoint_url), args.dataset, out)
    print(f"model: {model_dir}")
    return 0


def add_cost(parser: argparse.ArgumentParser) -> Runner:
    """estimate training time and dollars per SageMaker instance type"""
    parser.add_argument("--arch", choices=ARCH_NAMES, required=True)
    parser.add_argument("--samples", type=int, required=True, help="training images per epoch")
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--spot-discount", type=float, default=0.0, help="fraction off on-demand (e.g. 0.6 for spot)")
    return _cost


def _cost(args: argparse.Namespace) -> int:
    from trainers.jobs import cost

    print(cost.report(args.arch, args.samples, args.epochs, args.spot_discount))
    return 0


def add_paddleocr_source(parser: argparse.ArgumentParser) -> Runner:
    """clone PaddleOCR's training code at the pinned tag into the cache (or check $PADDLEOCR_SRC)"""
    parser.add_argument("--dest", type=Path, help="clone here instead of ~/.cache/thaigen/PaddleOCR-<tag>")
    return _paddleocr_source


def _paddleocr_source(args: argparse.Namespace) -> int:
    from trainers.paddleocr import source as paddle_source

    path = paddle_source.clone(args.dest) if args.dest else paddle_source.locate_or_clone()
    print(f"PaddleOCR source: {path}")
    return 0
