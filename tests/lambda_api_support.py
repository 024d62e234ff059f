"""Emulator for the lambda_api tests: the shared one once the extensions they need are registered.

The lambda_function module needs emulator.lambda_gaps, iam_service_role emulator.iam_managed_policies, and the
lambda_api role also emulator.apigatewayv2_gaps. Until the ones a test module needs are all listed in
emulator.extensions.EXTENSIONS, it starts a private emulator that installs the missing ones on top of the
registered ones.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from pathlib import Path

import boto3

from emulator import control, extensions
from support import FAKE_CREDENTIALS, REPO_ROOT

NEEDED_EXTENSIONS = ("lambda_gaps", "iam_managed_policies", "apigatewayv2_gaps")
WRITE_PREFIXES = (
    "Create", "Update", "Put", "Delete", "Tag", "Untag", "Add", "Remove", "Set", "Associate", "Disassociate",
    "Attach", "Detach",
)  # fmt: skip


def missing_extensions(needed=NEEDED_EXTENSIONS) -> list[str]:
    return [name for name in needed if name not in extensions.EXTENSIONS]


@contextlib.contextmanager
def private_emulator(state_dir: Path, extra: list[str]):
    """An emulator process with the registered extensions plus `extra`, stopped on exit."""
    code = (
        "import importlib, sys; from pathlib import Path; "
        "[importlib.import_module('emulator.' + n).install() for n in sys.argv[2:]]; "
        "from emulator.server import serve; serve(Path(sys.argv[1]))"
    )
    state_dir.mkdir(parents=True, exist_ok=True)
    with open(state_dir / "server.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", code, str(state_dir), *extra],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while not control.current_url(state_dir):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("private emulator did not start; see %s" % (state_dir / "server.log"))
            time.sleep(0.1)
        yield control.current_url(state_dir)
    finally:
        proc.terminate()  # serve() stops moto on SIGTERM
        proc.wait(timeout=10)


def client_factory(url: str):
    def client(service: str, region: str = "us-east-1"):
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=url,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    return client


class CallRecorder:
    """Records (service, operation) of every botocore call made in this process."""

    def __init__(self):
        self.calls: list[tuple[str, str]] = []

    def install(self, monkeypatch):
        import botocore.client

        original = botocore.client.BaseClient._make_api_call
        recorder = self

        def record(client, operation_name, api_params):
            recorder.calls.append((client.meta.service_model.service_name, operation_name))
            return original(client, operation_name, api_params)

        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
        return self

    def writes(self) -> list[tuple[str, str]]:
        return [c for c in self.calls if c[1].startswith(WRITE_PREFIXES)]

    def clear(self):
        self.calls.clear()
