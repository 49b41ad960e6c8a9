"""Deploy a recognizer folder as a SageMaker real-time endpoint: model tarball, model, endpoint config, endpoint.

Clients (boto3 `s3` and `sagemaker`) are passed in, so tests point them at a local AWS-speaking
server. See trainers/serving/README.md for the container these requests name.
"""

from __future__ import annotations

import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thaigen.errors import ConfigError
from trainers.aws.tags import object_tagging, resource_tags
from trainers.inference.folder import read_folder

VARIANT = "AllTraffic"


@dataclass(frozen=True)
class EndpointSpec:
    """What to deploy and on what."""

    name: str
    """Used for the model, the endpoint config and the endpoint."""
    image_uri: str
    """The serving container (ECR), whose `serve` runs `python -m thaigen serve /opt/ml/model`."""
    model_data_url: str
    """s3:// URL of model.tar.gz (the recognizer folder's files at the archive root)."""
    role_arn: str
    instance_type: str = "ml.c5.xlarge"
    instance_count: int = 1
    environment: dict[str, str] = field(default_factory=dict)
    """Extra container environment, e.g. {"THAIGEN_SERVE_ARGS": "--runtime onnx"}."""
    run_id: str = ""
    """The `thaigen-run` tag of the three resources (default: `name`)."""


def package_model(model_dir: Path, tarball: Path) -> Path:
    """Write model.tar.gz with the folder's files at its root (SageMaker unpacks it into /opt/ml/model).

    Raises:
        ConfigError: the folder holds no model file.
    """
    folder = read_folder(model_dir)
    if not folder.formats:
        raise ConfigError(f"no inference.onnx, inference.json or inference.pdmodel in {model_dir}")
    with tarfile.open(tarball, "w:gz") as archive:
        for path in sorted(p for p in model_dir.iterdir() if p.is_file()):
            archive.add(path, arcname=path.name)
    return tarball


def upload_model(s3: Any, tarball: Path, bucket: str, key: str, run_id: str = "") -> str:
    """Upload the tarball with an s3 client, tagged with thaigen's tags and `run_id` (default: the key); return
    its s3:// URL. Put it under `<prefix>/models/` (trainers/aws/tags.py) for `thaigen aws` to manage it."""
    s3.upload_file(str(tarball), bucket, key, ExtraArgs={"Tagging": object_tagging(run_id or key)})
    return f"s3://{bucket}/{key}"


def create_endpoint(sagemaker: Any, spec: EndpointSpec) -> dict[str, str]:
    """CreateModel, CreateEndpointConfig and CreateEndpoint with a sagemaker client, each tagged with thaigen's
    tags and the spec's run id; return the three ARNs."""
    tags = resource_tags(spec.run_id or spec.name)
    model = sagemaker.create_model(
        ModelName=spec.name,
        PrimaryContainer={
            "Image": spec.image_uri,
            "ModelDataUrl": spec.model_data_url,
            "Environment": spec.environment,
        },
        ExecutionRoleArn=spec.role_arn,
        Tags=tags,
    )
    config = sagemaker.create_endpoint_config(
        EndpointConfigName=spec.name,
        ProductionVariants=[
            {
                "VariantName": VARIANT,
                "ModelName": spec.name,
                "InitialInstanceCount": spec.instance_count,
                "InstanceType": spec.instance_type,
                "InitialVariantWeight": 1.0,
            }
        ],
        Tags=tags,
    )
    endpoint = sagemaker.create_endpoint(EndpointName=spec.name, EndpointConfigName=spec.name, Tags=tags)
    return {
        "model": model["ModelArn"],
        "endpoint_config": config["EndpointConfigArn"],
        "endpoint": endpoint["EndpointArn"],
    }
