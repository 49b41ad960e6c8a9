"""SageMaker backend against moto in server mode on loopback: real boto3 clients over HTTP, nothing patched."""

from __future__ import annotations

import argparse
import io
import json
import tarfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from thaigen.cli import main as cli
from thaigen.errors import ConfigError, DatasetError
from trainers.aws.calls import CHAIN_HINT
from trainers.jobs import channels
from trainers.jobs import sagemaker as sagemaker_job
from trainers.paddleocr.configs import Arch, Layout, validate

ROLE = "arn:aws:iam::123456789012:role/thaigen-training"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/thaigen-train:latest"


@pytest.fixture(scope="module")
def aws(moto_url: str) -> sagemaker_job.Clients:
    """boto3 clients pointed at the session's moto server (tests/conftest.py)."""
    return sagemaker_job.clients("us-east-1", moto_url)


@pytest.fixture(scope="module")
def data(small_dataset: Callable[[str, int, int], Path]) -> Path:
    return small_dataset("digits", 40, 4)


def _spec(bucket: str, name: str, spot: bool = True) -> sagemaker_job.JobSpec:
    return sagemaker_job.JobSpec(
        job_name=name,
        image_uri=IMAGE,
        role_arn=ROLE,
        bucket=bucket,
        prefix="runs",
        hyperparameters={"arch": "svtr", "epochs": "100", "use_gpu": "true"},
        spot=spot,
        max_run_s=3 * 3600,
    )


def _model_tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def test_channels_pack_into_one_tar_each_and_unpack_to_a_valid_dataset(data: Path, tmp_path: Path) -> None:
    tars = channels.pack(data, tmp_path / "tars")
    assert sorted(tars) == ["train", "validation"]
    with tarfile.open(tars["train"]) as tar:
        names = tar.getnames()
    train_lines = (data / "train.txt").read_text(encoding="utf-8").splitlines()
    assert len(names) == 3 + len(train_lines) and "val.txt" not in names
    # Each channel arrives in its own folder; the pair is a complete dataset again.
    for channel, tar_path in tars.items():
        (tmp_path / "in" / channel).mkdir(parents=True)
        tar_path.rename(tmp_path / "in" / channel / tar_path.name)
    layout = Layout.of(
        channels.unpack(tmp_path / "in/train", tmp_path / "work/train"),
        channels.unpack(tmp_path / "in/validation", tmp_path / "work/validation"),
    )
    assert validate(layout, Arch.SVTR) == []
    assert (layout.val_dir / "val.txt").read_text(encoding="utf-8") == (data / "val.txt").read_text(encoding="utf-8")


def test_unpack_refuses_an_empty_channel_and_pack_a_broken_dataset(data: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="has no label file and no .tar"):
        channels.unpack(tmp_path / "empty", tmp_path / "work")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken/train.txt").write_text("images/x.png\t1\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="cannot pack channel 'train': .*dict.txt not found"):
        channels.pack(tmp_path / "broken", tmp_path / "out")


def test_upload_create_describe_download(aws: sagemaker_job.Clients, data: Path, tmp_path: Path) -> None:
    aws.s3.create_bucket(Bucket="thaigen-a")
    spec = _spec("thaigen-a", "thaigen-svtr-1")
    uris = sagemaker_job.upload_channels(aws.s3, spec, data, tmp_path / "work")
    assert uris == {
        "train": "s3://thaigen-a/runs/channels/thaigen-svtr-1/train/",
        "validation": "s3://thaigen-a/runs/channels/thaigen-svtr-1/validation/",
    }
    keys = [o["Key"] for o in aws.s3.list_objects_v2(Bucket="thaigen-a")["Contents"]]
    assert sorted(keys) == [
        "runs/channels/thaigen-svtr-1/train/train.tar",
        "runs/channels/thaigen-svtr-1/validation/validation.tar",
    ]
    tagging = aws.s3.get_object_tagging(Bucket="thaigen-a", Key=keys[0])["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tagging) == [("project", "thaigen"), ("thaigen-run", "thaigen-svtr-1")]

    aws.sagemaker.create_training_job(**sagemaker_job.training_request(spec, uris))
    described = aws.sagemaker.describe_training_job(TrainingJobName="thaigen-svtr-1")
    assert described["EnableManagedSpotTraining"] is True
    assert described["CheckpointConfig"] == {
        "S3Uri": "s3://thaigen-a/runs/checkpoints/thaigen-svtr-1/",
        "LocalPath": "/opt/ml/checkpoints",
    }
    assert described["StoppingCondition"] == {"MaxRuntimeInSeconds": 10800, "MaxWaitTimeInSeconds": 21600}
    assert described["ResourceConfig"]["InstanceType"] == "ml.g4dn.xlarge"
    assert described["AlgorithmSpecification"]["TrainingImage"] == IMAGE
    assert described["HyperParameters"]["use_gpu"] == "true"
    assert {c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"] for c in described["InputDataConfig"]} == uris

    # What the container leaves behind: SM_MODEL_DIR, tarred by SageMaker into the output path.
    artifact = described["ModelArtifacts"]["S3ModelArtifacts"]
    assert artifact == "s3://thaigen-a/runs/models/thaigen-svtr-1/output/model.tar.gz"
    arn = described["TrainingJobArn"]
    tags = {t["Key"]: t["Value"] for t in aws.sagemaker.list_tags(ResourceArn=arn)["Tags"]}
    assert tags == {"project": "thaigen", "thaigen-run": "thaigen-svtr-1"}
    card = json.dumps({"arch": "svtr"}).encode()
    aws.s3.put_object(
        Bucket="thaigen-a",
        Key=artifact.split("/", 3)[3],
        Body=_model_tar({"model_card.json": card, "inference.json": b"{}"}),
    )
    reports: list[str] = []
    final = sagemaker_job.wait(aws.sagemaker, "thaigen-svtr-1", reports.append, poll_s=0)
    assert reports == ["thaigen-svtr-1: Completed / Completed"]
    model = sagemaker_job.download_model(aws.s3, final, tmp_path / "run")
    assert (model / "model_card.json").read_bytes() == card and (model / "inference.json").is_file()


def test_run_does_the_whole_flow_on_demand(aws: sagemaker_job.Clients, data: Path, tmp_path: Path) -> None:
    aws.s3.create_bucket(Bucket="thaigen-b")
    spec = _spec("thaigen-b", "thaigen-svtr-2", spot=False)
    key = "runs/models/thaigen-svtr-2/output/model.tar.gz"
    aws.s3.put_object(Bucket="thaigen-b", Key=key, Body=_model_tar({"inference.yml": b"Global: {}\n"}))
    model = sagemaker_job.run(spec, aws, data, tmp_path / "run", poll_s=0)
    assert (model / "inference.yml").read_text() == "Global: {}\n"
    described = aws.sagemaker.describe_training_job(TrainingJobName="thaigen-svtr-2")
    assert described["EnableManagedSpotTraining"] is False
    assert "MaxWaitTimeInSeconds" not in described["StoppingCondition"]


def test_a_streamed_job_uploads_no_channel_and_carries_its_config(aws: sagemaker_job.Clients, tmp_path: Path) -> None:
    """`train --stream`: the config's YAML is a hyperparameter; nothing is uploaded and the job has no channel."""
    aws.s3.create_bucket(Bucket="thaigen-s")
    text = "recipe: documents\ncount: 200000\n"
    spec = replace(_spec("thaigen-s", "thaigen-crnn-s"), hyperparameters={"arch": "crnn", "stream": text})
    key = "runs/models/thaigen-crnn-s/output/model.tar.gz"
    aws.s3.put_object(Bucket="thaigen-s", Key=key, Body=_model_tar({"inference.yml": b"Global: {}\n"}))
    sagemaker_job.run(spec, aws, None, tmp_path / "run", poll_s=0)
    keys = [o["Key"] for o in aws.s3.list_objects_v2(Bucket="thaigen-s")["Contents"]]
    assert keys == [key]
    described = aws.sagemaker.describe_training_job(TrainingJobName="thaigen-crnn-s")
    assert described["HyperParameters"]["stream"] == text and not described.get("InputDataConfig")


def test_job_spec_from_cli_options_requires_bucket_image_and_role() -> None:
    args = argparse.Namespace(
        arch="svtr",
        bucket="b",
        image_uri=IMAGE,
        role_arn=ROLE,
        prefix="/runs/",
        instance_type="ml.g5.xlarge",
        instance_count=1,
        on_demand=False,
        max_run_hours=2.0,
    )
    spec = sagemaker_job.JobSpec.from_args(args, {"arch": "svtr", "use_gpu": "false"})
    assert spec.job_name.startswith("thaigen-svtr-") and spec.prefix == "runs" and spec.max_run_s == 7200
    assert spec.hyperparameters["use_gpu"] == "true" and spec.spot and spec.instance_type == "ml.g5.xlarge"
    with pytest.raises(ConfigError, match="--role-arn is required for --backend sagemaker"):
        sagemaker_job.JobSpec.from_args(argparse.Namespace(**(vars(args) | {"role_arn": None})), {})


def test_cli_refuses_local_pretrained_weights_for_sagemaker(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A path on this machine means nothing in the training container: refused before anything is uploaded."""
    weights = tmp_path / "w.pdparams"
    weights.write_bytes(b"")
    args = ["train", str(data), "--arch", "crnn", "--backend", "sagemaker", "--pretrained", str(weights)]
    assert cli([*args, "--bucket", "b", "--image-uri", IMAGE, "--role-arn", ROLE]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"thaigen: error: --pretrained {weights} is a file on this machine") and "\n" not in err


NO_CREDENTIALS_ENV = {
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
    "AWS_EC2_METADATA_DISABLED": "true",  # no instance-role lookup (and no wait on it)
}
"""The standard credential chain with nothing in it: no keys, no profile, no container or instance role."""
UNSET_CREDENTIALS = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
)  # fmt: skip


@pytest.mark.parametrize(
    ("command", "first_call"),
    [
        (["train", "{data}", "--arch", "crnn", "--backend", "sagemaker", "--out", "{tmp}/run"],
         "upload_file s3://b/thaigen/channels/thaigen-crnn-"),
        (["build", "--engine", "sagemaker-processing", "--recipe", "digits", "--count", "20", "--instance-count", "1",
          "--out", "{tmp}/built"], "PutObject s3://b/thaigen/datasets/thaigen-build-"),
    ],
    ids=["train", "build"],
)  # fmt: skip
def test_sagemaker_launches_without_credentials_say_so_in_one_line(
    command: list[str],
    first_call: str,
    data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Both launchers once printed botocore's NoCredentialsError traceback; now the `aws` commands' one line."""
    for name in UNSET_CREDENTIALS:
        monkeypatch.delenv(name, raising=False)
    for name, value in NO_CREDENTIALS_ENV.items():
        monkeypatch.setenv(name, value)
    aws = ["--bucket", "b", "--image-uri", IMAGE, "--role-arn", ROLE, "--region", "us-east-1"]
    args = [part.format(data=data, tmp=tmp_path) for part in command]
    assert cli([*args, *aws, "--endpoint-url", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"thaigen: error: {first_call}") and "\n" not in err
    assert err.endswith(f": no credentials ({CHAIN_HINT})")


@pytest.mark.parametrize(
    "command",
    [
        ["train", "{data}", "--arch", "crnn", "--backend", "sagemaker", "--out", "{tmp}/run", "--bucket", "b",
         "--image-uri", IMAGE, "--role-arn", ROLE],
        ["aws", "cleanup", "--bucket", "b"],
    ],
    ids=["train", "aws-cleanup"],
)  # fmt: skip
def test_no_region_is_one_line(
    command: list[str], data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """botocore's NoRegionError, raised where a client is made, once came out as a traceback."""
    for name in (*UNSET_CREDENTIALS, "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in NO_CREDENTIALS_ENV.items():
        monkeypatch.setenv(name, value)
    assert cli([part.format(data=data, tmp=tmp_path) for part in command]) == 2
    assert capsys.readouterr().err.strip() == "thaigen: error: no AWS region: pass --region or set one in your AWS config"


def test_an_upload_to_a_missing_bucket_is_one_line(aws: sagemaker_job.Clients, tmp_path: Path) -> None:
    """boto3's transfer manager wraps the failure in S3UploadFailedError, which botocore's error types miss."""
    from trainers.aws.calls import AwsError, call

    local = tmp_path / "x.tar"
    local.write_bytes(b"x")
    with pytest.raises(AwsError, match=r"^upload_file s3://no-such-bucket/x\.tar: .*NoSuchBucket"):
        call(aws.s3, "upload_file", "s3://no-such-bucket/x.tar", Filename=str(local), Bucket="no-such-bucket", Key="x.tar")
