"""AWS calls whose failures become one line naming the call and the resource (AwsError, exit code 2)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from boto3.exceptions import S3TransferFailedError, S3UploadFailedError
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from thaigen.errors import ConfigError, ThaigenError

CHAIN_HINT = "credentials come from the standard AWS chain: environment, AWS_PROFILE / --profile, or an instance role"
NO_REGION = "no AWS region: pass --region or set one in your AWS config"
FAILURES = (ClientError, BotoCoreError, S3UploadFailedError, S3TransferFailedError)
"""What a failed call raises: botocore's errors, and boto3's transfer manager wrapping them (upload_file)."""


class AwsError(ThaigenError):
    """An AWS call failed (permissions, a missing resource, no credentials, no connection)."""


def _operation(client: Any, method: str) -> str:
    return str(client.meta.method_to_api_mapping.get(method, method))


def _reason(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "error"))
        lines = [line.strip() for line in str(error.get("Message", "")).splitlines() if line.strip()]
        message = lines[0] if lines else ""
        if code.isdigit() or message.startswith("<"):  # an HTTP error page, not an AWS error document
            return f"HTTP {exc.response.get('ResponseMetadata', {}).get('HTTPStatusCode', code)} from the server"
        return f"{code}: {message[:300]}" if message else code
    if isinstance(exc, NoCredentialsError):
        return f"no credentials ({CHAIN_HINT})"
    return str(exc)


def make_client(session: Any, service: str, endpoint_url: str | None = None) -> Any:
    """`session.client(service)`.

    Raises:
        ConfigError: no region is configured (botocore's NoRegionError).
    """
    try:
        return session.client(service, endpoint_url=endpoint_url)
    except NoRegionError as exc:
        raise ConfigError(NO_REGION) from exc


def call(client: Any, method: str, resource: str, **kwargs: Any) -> dict[str, Any]:
    """`client.method(**kwargs)`; returns the response.

    Raises:
        AwsError: the call failed; the message names the operation and `resource`.
    """
    try:
        response: dict[str, Any] = getattr(client, method)(**kwargs)
    except FAILURES as exc:
        raise AwsError(f"{_operation(client, method)} {resource}: {_reason(exc)}") from exc
    return response


def error_code(exc: AwsError) -> str:
    """The AWS error code behind an AwsError ('' when there is none)."""
    cause = exc.__cause__
    return str(cause.response.get("Error", {}).get("Code", "")) if isinstance(cause, ClientError) else ""


def pages(client: Any, method: str, resource: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Each page of a paginated call.

    Raises:
        AwsError: a page failed; the message names the operation and `resource`.
    """
    try:
        yield from client.get_paginator(method).paginate(**kwargs)
    except FAILURES as exc:
        raise AwsError(f"{_operation(client, method)} {resource}: {_reason(exc)}") from exc
