"""How code run by the emulator reaches the emulator: its own URL and the fake credentials it accepts.

The Lambda runtime (``emulator.lambda_runtime``) gives a function ``AWS_ENDPOINT_URL`` = this URL, so
the handler's boto3 clients call the emulator without any code change; the API Gateway invoke
endpoint (``emulator.apigateway_invoke``) verifies SigV4 signatures with these credentials.
``emulator.server.serve`` publishes the URL once the server is bound.
"""

from __future__ import annotations

import os

# The fixed fake credentials of the emulator (group_vars/emulator.yml, tests/support.py): not secrets.
ACCESS_KEY_ID = "tap-emulator"
SECRET_ACCESS_KEY = "tap-emulator-key"

_url: str | None = None


def publish(url: str) -> None:
    """Record the URL the server answers at (called by emulator.server once bound)."""
    global _url
    _url = url.rstrip("/")


def url() -> str:
    """The emulator's URL; TAP_EMULATOR_URL when the server did not publish one (moto in-process)."""
    found = _url or os.environ.get("TAP_EMULATOR_URL", "").strip()
    if not found:
        raise RuntimeError("the emulator's URL is unknown: emulator.server did not publish it")
    return found.rstrip("/")
