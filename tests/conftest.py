"""Shared pytest fixtures: a private emulator per test session, boto3 clients, playbook runs.

Nothing here can reach real AWS: clients and playbooks get the emulator's endpoint and
fake credentials, and the real-AWS credential chain is cut off via the environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
# Our plugins import as ansible_collections.tap.multiregion.*; make that importable.
sys.path.insert(0, str(REPO_ROOT / ".collections"))

from emulator import control  # noqa: E402
from support import FAKE_CREDENTIALS, PlaybookRun, call_module  # noqa: E402,F401


@pytest.fixture(scope="session", autouse=True)
def _no_real_aws():
    saved = {k: os.environ.get(k) for k in FAKE_CREDENTIALS}
    os.environ.update(FAKE_CREDENTIALS)
    os.environ.pop("AWS_PROFILE", None)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def emulator_url(tmp_path_factory):
    """A private emulator for this test session (or xdist worker), stopped at the end."""
    state_dir = tmp_path_factory.mktemp("emulator")
    try:
        with control.running(state_dir) as url:
            yield url
    except control.EmulatorError as exc:
        pytest.fail(f"the local AWS emulator could not be started: {exc}")


# The aws profile as tests use it: an AWS minute takes a tenth of a real second, no added latency and
# no faults unless a test asks for them (see AwsProfile.set).
AWS_PROFILE_FOR_TESTS = {"name": "aws", "time_scale": 600.0, "latency_ms": 0.0, "jitter": 0.0}


@pytest.fixture(scope="session")
def aws_emulator_url(tmp_path_factory):
    """A second private emulator for this session (or xdist worker), running the aws profile."""
    state_dir = tmp_path_factory.mktemp("emulator-aws")
    try:
        with control.running(state_dir, settings=AWS_PROFILE_FOR_TESTS) as url:
            yield url
    except control.EmulatorError as exc:
        pytest.fail(f"the local AWS emulator (aws profile) could not be started: {exc}")


class AwsProfile:
    """The aws-profile emulator of a test: its URL, its settings, its call log."""

    def __init__(self, url: str):
        self.url = url
        self.mark = control.last_call_seq(url)

    def set(self, **settings) -> dict:
        """Change settings for this test (e.g. durations={"rds.cluster.create": 60}, throttle_rate=0.1)."""
        return control.set_profile(self.url, **settings)

    def calls(self) -> list[dict]:
        """AWS calls answered since the test started."""
        return control.calls(self.url, self.mark)

    def write_calls(self) -> list[dict]:
        return [c for c in self.calls() if c["kind"] == "write"]

    def client(self, service: str, region: str = "us-east-1", **kwargs):
        import boto3

        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.url,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            **kwargs,
        )


@pytest.fixture
def aws_profile(aws_emulator_url):
    """The aws-profile emulator, its settings reset to AWS_PROFILE_FOR_TESTS for this test."""
    control.set_profile(aws_emulator_url, reset=True, **AWS_PROFILE_FOR_TESTS)
    return AwsProfile(aws_emulator_url)


@pytest.fixture(scope="session")
def aws(emulator_url):
    """Factory for boto3 clients bound to the emulator: aws('ec2', 'us-east-1')."""
    import boto3

    def client(service: str, region: str = "us-east-1"):
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=emulator_url,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    return client


@pytest.fixture(scope="session")
def run_playbook(emulator_url):
    """Run ansible-playbook from the repository root against the emulator."""

    def run(
        playbook: str, inventory: str = "inventories/local", *args: str, env: dict | None = None, timeout: int = 900
    ) -> PlaybookRun:
        environment = dict(os.environ)
        environment.update(
            TAP_EMULATOR_URL=emulator_url,
            ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"),
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_NOCOLOR="1",
            PATH=f"{Path(sys.executable).parent}:{environment.get('PATH', '')}",
        )
        environment.update(env or {})
        cmd = [str(Path(sys.executable).parent / "ansible-playbook"), playbook, "-i", inventory, *args]
        proc = subprocess.run(
            cmd, cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=timeout, check=False
        )
        return PlaybookRun(proc)

    return run


def load_outputs(env: str) -> dict:
    return json.loads((REPO_ROOT / "outputs" / f"{env}.json").read_text())


def _module_runner(url):
    def run(main, args: dict, region: str = "us-east-1", check_mode: bool = False, diff: bool = False) -> dict:
        connection = {
            "region": region,
            "endpoint_url": url,
            "access_key": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "secret_key": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        }
        return call_module(main, {**connection, **args}, check_mode=check_mode, diff=diff)

    return run


@pytest.fixture
def run_module(emulator_url):
    """run_module(module_main, args, region='us-east-1', check_mode=False, diff=False) against the emulator."""
    return _module_runner(emulator_url)


@pytest.fixture
def run_aws_module(aws_profile):
    """run_module against the aws-profile emulator (settings reset for the test; change them with aws_profile.set)."""
    return _module_runner(aws_profile.url)
