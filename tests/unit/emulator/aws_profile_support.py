"""Helpers of the aws-profile emulator tests: unique names, roles a service trusts, small functions."""

from __future__ import annotations

import io
import json
import uuid
import zipfile

# Far longer than any test takes at the test time scale (600): a transition that has not ended.
FOREVER = 10_000_000.0


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def trust(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )


def make_role(profile_or_client, service: str = "lambda.amazonaws.com") -> str:
    iam = profile_or_client("iam") if callable(profile_or_client) else profile_or_client.client("iam")
    return iam.create_role(RoleName=unique("role"), AssumeRolePolicyDocument=trust(service))["Role"]["Arn"]


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def function_kwargs(name: str, role: str, **more) -> dict:
    return dict(
        FunctionName=name, Runtime="python3.11", Role=role, Handler="handler.handler", Code={"ZipFile": zip_bytes()},
        **more,
    )  # fmt: skip
