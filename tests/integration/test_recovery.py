"""Recovery: a deploy killed half-way converges on the next run, with no duplicate resource.

A fresh staging environment (regions no other test deploys staging to) is deployed with site.yml;
as soon as the first staging VPC exists the ansible-playbook process group is killed (SIGTERM, then
SIGKILL), like a CI runner that dies. The killed run cannot release its deploy lock, so the next run
is refused naming the holder and the unlock command; after `playbooks/unlock.yml -e
confirm_unlock=staging` (the documented procedure) site.yml converges, every resource exists exactly
once, and a further run changes nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from integration.helpers import REPO_ROOT, make_inventory
from integration.stack_scan import deploy_lock, stack_resources
from integration.helpers import data_bucket, log_bucket

pytestmark = pytest.mark.slow

ENV = "staging"
REGIONS = {"ap-southeast-1": "10.0.0.0/16", "sa-east-1": "10.1.0.0/16"}
PRIMARY = "ap-southeast-1"


def staging_vpcs(aws) -> dict[str, list]:
    return {
        region: aws("ec2", region).describe_vpcs(Filters=[{"Name": "tag:Environment", "Values": [ENV]}])["Vpcs"]
        for region in REGIONS
    }


def start_site(inventory: Path, emulator_url: str, outputs: Path, log: Path) -> subprocess.Popen:
    environment = {
        **os.environ,
        "TAP_EMULATOR_URL": emulator_url,
        "TAP_OUTPUTS_DIR": str(outputs),
        "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    with log.open("w") as out:
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "ansible-playbook"), "site.yml", "-i", str(inventory)],
            cwd=REPO_ROOT,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the kill reaches every worker and module
        )


def kill_group(proc: subprocess.Popen) -> None:
    for sig, grace in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
    proc.wait(timeout=10)
    # Nothing of the group may survive to keep changing the emulator behind the re-run.
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)


def test_interrupted_deploy_converges_without_duplicates(emulator_url, run_playbook, aws, tmp_path):
    inventory = make_inventory(tmp_path / "inventory", ENV, REGIONS, primary=PRIMARY)
    outputs = tmp_path / "outputs"
    assert not any(staging_vpcs(aws).values()), "the staging environment of this test is not fresh"

    log = tmp_path / "interrupted.log"
    proc = start_site(inventory, emulator_url, outputs, log)
    try:
        deadline = time.monotonic() + 300
        while not any(staging_vpcs(aws).values()):
            assert proc.poll() is None, (
                f"site.yml ended (rc {proc.returncode}) before any VPC existed:\n" + (log.read_text()[-4000:])
            )
            assert time.monotonic() < deadline, "no staging VPC appeared within 300 s"
            time.sleep(0.2)
    finally:
        kill_group(proc)
    partial = {region: stack_resources(aws, ENV, region) for region in REGIONS}
    assert any(partial[region]["vpc"] for region in REGIONS)
    print("state when killed:", {r: {k: v for k, v in p.items() if v} for r, p in partial.items()})
    assert not (outputs / f"{ENV}.json").exists(), "a killed run must not have written outputs"

    # The killed run still holds the lock: the next run is refused and says how to recover.
    lock = deploy_lock(aws, ENV, PRIMARY)
    assert lock is not None, "the killed run held no deploy lock"
    refused = run_playbook("site.yml", str(inventory), env={"TAP_OUTPUTS_DIR": str(outputs)})
    assert refused.rc != 0
    refused_text = " ".join(refused.output.split())
    assert f"environment {ENV} is locked by" in refused_text, refused.output[-3000:]
    assert f"playbooks/unlock.yml -e confirm_unlock={ENV}" in refused_text
    unlock = run_playbook("playbooks/unlock.yml", str(inventory), "-e", f"confirm_unlock={ENV}")
    assert unlock.rc == 0, unlock.output[-3000:]
    assert deploy_lock(aws, ENV, PRIMARY) is None

    rerun = run_playbook("site.yml", str(inventory), env={"TAP_OUTPUTS_DIR": str(outputs)})
    assert rerun.rc == 0, rerun.output[-6000:]
    assert (outputs / f"{ENV}.json").is_file()

    for region in REGIONS:
        found = stack_resources(aws, ENV, region)
        duplicates = {kind: names for kind, names in found.items() if len(names) != len(set(names))}
        assert not duplicates, f"{region}: duplicates after recovery: {duplicates}"
        expected_once = {
            "vpc": [f"tap-{ENV}-{region}"],
            "bucket": sorted([data_bucket(ENV, region), log_bucket(ENV, region)]),
            "http_api": [f"tap-api-{ENV}-{region}"],
            "table": [f"sessions-{ENV}"],
            "function": [f"data-processor-{ENV}-{region}"],
            "db_cluster": [f"aurora-{ENV}-{region}"],
            "topic": [f"tap-alerts-{ENV}-{region}"],
            "kms_alias": [f"alias/tap-{ENV}-{region}"],
        }
        for kind, names in expected_once.items():
            assert found[kind] == names, f"{region}: {kind} is {found[kind]}, expected {names}"
        counts = {"kms_key_enabled": 1, "internet_gateway": 1, "subnet": 6, "route_table": 2, "vpc_endpoint": 2}
        for kind, count in counts.items():
            assert len(found[kind]) == count, f"{region}: {len(found[kind])} {kind} ({found[kind]}), expected {count}"
        subnets = aws("ec2", region).describe_subnets(Filters=[{"Name": "tag:Environment", "Values": [ENV]}])
        assert {s["VpcId"] for s in subnets["Subnets"]} == {v["VpcId"] for v in staging_vpcs(aws)[region]}, (
            f"{region}: subnets outside the one staging VPC"
        )

    again = run_playbook("site.yml", str(inventory), env={"TAP_OUTPUTS_DIR": str(outputs)})
    assert again.rc == 0, again.output[-4000:]
    assert again.changed() == 0, again.stdout[-6000:]
    assert deploy_lock(aws, ENV, PRIMARY) is None, "the converging runs left the deploy lock held"
