"""site.yml through ansible-runner's Python API, laid out the way AWX runs a job.

AWX imports a project inventory with `ansible-inventory --list --export` (variables stay
unrendered templates), hands the job an executable `inventory/hosts` that prints that JSON,
puts the project in `project/`, extra vars (its awx_* meta variables plus the template's) in
`env/extravars` and the environment in `env/envvars`, then calls ansible_runner.run(). The
outputs role's set_stats data reaches AWX as the `artifact_data` of the playbook_on_stats event.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from integration.helpers import REGIONS

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def awx_inventory_script(private_data_dir: Path) -> Path:
    """inventory/hosts as AWX writes it for an inventory sourced from the project's inventories/local."""
    exported = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(REPO_ROOT / "inventories" / "local"), "--list", "--export"],
        cwd=REPO_ROOT,
        env={**os.environ, "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    script = private_data_dir / "inventory" / "hosts"
    script.parent.mkdir(parents=True)
    script.write_text(f"#!{sys.executable}\nimport sys\nsys.stdout.write({exported!r})\n")
    script.chmod(0o700)
    return script


@pytest.fixture(scope="module")
def awx_job(emulator_url, tmp_path_factory):
    import ansible_runner

    private_data_dir = tmp_path_factory.mktemp("awx-job")
    outputs_dir = tmp_path_factory.mktemp("awx-outputs")
    (private_data_dir / "project").symlink_to(REPO_ROOT, target_is_directory=True)
    awx_inventory_script(private_data_dir)
    env = private_data_dir / "env"
    env.mkdir()
    (env / "extravars").write_text(
        yaml.safe_dump(
            {
                "awx_job_id": 4242,
                "awx_job_launch_type": "manual",
                "awx_job_template_name": "tap deploy (dev)",
                "awx_project_revision": "test",
                "awx_user_name": "pytest",
            }
        )
    )
    (env / "envvars").write_text(
        yaml.safe_dump(
            {
                "TAP_EMULATOR_URL": emulator_url,
                "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
                "TAP_OUTPUTS_DIR": str(outputs_dir),
                # The EE puts ansible-playbook on PATH; here it is the venv's.
                "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
                "ANSIBLE_NOCOLOR": "1",
            }
        )
    )
    (env / "settings").write_text(yaml.safe_dump({"job_timeout": 600, "suppress_ansible_output": True}))

    runner = ansible_runner.run(private_data_dir=str(private_data_dir), playbook="site.yml", ident="4242", quiet=True)
    return {"runner": runner, "events": list(runner.events), "outputs_dir": outputs_dir, "dir": private_data_dir}


def test_job_is_successful(awx_job):
    runner = awx_job["runner"]
    assert runner.status == "successful", runner.stdout.read()[-6000:]
    assert runner.rc == 0


def test_stats_event_reports_no_failure_in_any_host(awx_job):
    stats = [e for e in awx_job["events"] if e["event"] == "playbook_on_stats"]
    assert len(stats) == 1
    data = stats[0]["event_data"]
    assert not data["failures"] and not data["dark"], data
    assert set(REGIONS) | {"localhost"} <= set(data["processed"])


def test_every_region_host_has_ok_events(awx_job):
    ok_hosts = {e["event_data"]["host"] for e in awx_job["events"] if e["event"] == "runner_on_ok"}
    assert set(REGIONS) <= ok_hosts
    assert not [
        e for e in awx_job["events"] if e["event"] == "runner_on_failed" and not e["event_data"].get("ignore_errors")
    ]


def test_set_stats_reach_awx_as_job_artifacts(awx_job):
    stats = next(e for e in awx_job["events"] if e["event"] == "playbook_on_stats")
    artifacts = stats["event_data"]["artifact_data"]
    assert artifacts["tap_environment"] == "dev"
    assert sorted(artifacts["tap_outputs"]) == sorted(REGIONS)
    for region, row in artifacts["tap_outputs"].items():
        assert row["vpc_id"].startswith("vpc-"), (region, row)
    # The file the outputs role wrote holds the same outputs.
    written = json.loads((awx_job["outputs_dir"] / "dev.json").read_text())
    assert written == {"environment": "dev", "regions": artifacts["tap_outputs"]}


def test_job_artifacts_are_where_awx_reads_them(awx_job):
    artifact_dir = awx_job["dir"] / "artifacts" / "4242"
    assert (artifact_dir / "status").read_text() == "successful"
    assert (artifact_dir / "rc").read_text() == "0"
    assert any((artifact_dir / "job_events").iterdir())


def test_vpcs_exist_with_the_inventory_cidrs(awx_job, aws):
    artifacts = next(e for e in awx_job["events"] if e["event"] == "playbook_on_stats")["event_data"]["artifact_data"]
    for region, cidr in REGIONS.items():
        vpc_id = artifacts["tap_outputs"][region]["vpc_id"]
        vpcs = aws("ec2", region).describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
        assert [v["CidrBlock"] for v in vpcs] == [cidr]
