"""Endpoint deployment requests against moto in server mode on loopback: real boto3 clients, nothing patched."""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

import pytest
from model_fixtures import tiny_models_fixture  # noqa: F401 (the tiny_models fixture)
from tiny_model import TinyModels

from thaigen.errors import ConfigError
from trainers.serving.endpoint import EndpointSpec, create_endpoint, package_model, upload_model

pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning",  # botocore/moto datetime and werkzeug notices
    "ignore::ResourceWarning",  # moto's threaded werkzeug server leaves sockets to the GC
)

ROLE = "arn:aws:iam::123456789012:role/thaigen-serving"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/thaigen-serve:latest"
BUCKET = "thaigen-models"


@pytest.fixture(scope="module")
def aws(moto_url: str) -> dict[str, Any]:
    """s3 + sagemaker clients pointed at the session's moto server (tests/conftest.py)."""
    import boto3

    session = boto3.Session(region_name="us-east-1")
    return {"s3": session.client("s3", endpoint_url=moto_url), "sagemaker": session.client("sagemaker", endpoint_url=moto_url)}


def test_model_tarball_holds_the_folder_files_at_its_root(tiny_models: TinyModels, tmp_path: Path) -> None:
    tarball = package_model(tiny_models.onnx, tmp_path / "model.tar.gz")
    with tarfile.open(tarball) as archive:
        assert sorted(archive.getnames()) == sorted(p.name for p in tiny_models.onnx.iterdir())


def test_packaging_refuses_a_folder_without_a_model(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no inference.onnx"):
        package_model(tmp_path, tmp_path / "model.tar.gz")


def test_create_endpoint_requests(aws: dict[str, Any], tiny_models: TinyModels, tmp_path: Path) -> None:
    s3, sagemaker = aws["s3"], aws["sagemaker"]
    s3.create_bucket(Bucket=BUCKET)
    url = upload_model(s3, package_model(tiny_models.onnx, tmp_path / "model.tar.gz"), BUCKET, "tiny/model.tar.gz")
    assert url == f"s3://{BUCKET}/tiny/model.tar.gz"
    downloaded = tmp_path / "back.tar.gz"
    s3.download_file(BUCKET, "tiny/model.tar.gz", str(downloaded))
    assert downloaded.read_bytes() == (tmp_path / "model.tar.gz").read_bytes()

    spec = EndpointSpec(
        "thaigen-tiny", IMAGE, url, ROLE, instance_type="ml.c5.large", environment={"THAIGEN_RUNTIME": "onnx"}
    )
    arns = create_endpoint(sagemaker, spec)
    assert arns["endpoint"].endswith(":endpoint/thaigen-tiny")
    model = sagemaker.describe_model(ModelName="thaigen-tiny")
    assert model["PrimaryContainer"]["Image"] == IMAGE
    assert model["PrimaryContainer"]["ModelDataUrl"] == url
    assert model["PrimaryContainer"]["Environment"] == {"THAIGEN_RUNTIME": "onnx"}
    assert model["ExecutionRoleArn"] == ROLE
    (variant,) = sagemaker.describe_endpoint_config(EndpointConfigName="thaigen-tiny")["ProductionVariants"]
    assert (variant["ModelName"], variant["InstanceType"], variant["InitialInstanceCount"]) == (
        "thaigen-tiny",
        "ml.c5.large",
        1,
    )
    endpoint = sagemaker.describe_endpoint(EndpointName="thaigen-tiny")
    assert endpoint["EndpointConfigName"] == "thaigen-tiny" and endpoint["EndpointArn"] == arns["endpoint"]
    for arn in arns.values():  # thaigen's marker and the run id on all three, and on the uploaded model
        assert {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=arn)["Tags"]} == {
            "project": "thaigen", "thaigen-run": "thaigen-tiny"
        }
    tagging = s3.get_object_tagging(Bucket=BUCKET, Key="tiny/model.tar.gz")["TagSet"]
    assert {t["Key"]: t["Value"] for t in tagging} == {"project": "thaigen", "thaigen-run": "tiny/model.tar.gz"}
