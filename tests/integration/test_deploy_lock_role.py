"""Role deploy_lock and playbooks/unlock.yml against the emulator: two concurrent runs, stale locks, unlock.

The runs use an inventory of their own (environment staging, one region that no other test uses), so
the lock table and lock item belong to this test alone.
"""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from integration.helpers import REPO_ROOT, make_inventory

pytestmark = pytest.mark.slow

ENV = "staging"
REGION = "eu-north-1"
PLAYBOOK = "tests/integration/playbooks/deploy_lock.yml"
TABLE = "tap-deploy-locks"


@pytest.fixture
def inventory(tmp_path):
    return str(make_inventory(tmp_path / "inventory", ENV, {REGION: "10.40.0.0/16"}))


@pytest.fixture
def lock_item(aws):
    def read():
        ddb = aws("dynamodb", REGION)
        try:
            return ddb.get_item(TableName=TABLE, Key={"lock_id": {"S": ENV}}, ConsistentRead=True).get("Item")
        except ddb.exceptions.ResourceNotFoundException:
            return None

    return read


def default_holder() -> str:
    user = os.environ.get("USER") or os.environ.get("LOGNAME") or getpass.getuser()
    return f"{user}@{os.uname().nodename}"


def test_two_concurrent_runs_one_wins(run_playbook, aws, emulator_url, inventory, lock_item, tmp_path):
    # First use creates the lock table. (Created here, not in the race: moto's CreateTable is not
    # atomic, two concurrent calls both succeed and the second table replaces the first with its
    # lock, where DynamoDB answers ResourceInUseException, which the module handles.)
    first = run_playbook(PLAYBOOK, inventory, "-e", "lock_hold_seconds=0")
    assert first.rc == 0, first.output[-3000:]
    assert lock_item() is None
    ddb = aws("dynamodb", REGION)
    table = ddb.describe_table(TableName=TABLE)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSEDescription"]["Status"] == "ENABLED"
    tags = {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]}
    assert tags["Environment"] == ENV and tags["Region"] == REGION and tags["CostCenter"]

    env = dict(os.environ)
    env.update(
        TAP_EMULATOR_URL=emulator_url,
        ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
    )
    ansible_playbook = str(Path(sys.executable).parent / "ansible-playbook")

    go_on = tmp_path / "release-now"

    def start(holder):
        cmd = [ansible_playbook, PLAYBOOK, "-i", inventory, "-e", f"deploy_lock_holder={holder}"]
        cmd += ["-e", f"lock_hold_until={go_on}"]
        return subprocess.Popen(
            cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )

    # Whichever run takes the lock holds it until the other one has finished, however the two
    # start-ups interleave; then it is told to release.
    runs = {holder: start(holder) for holder in ("run-one@ci", "run-two@ci")}
    deadline = time.monotonic() + 90
    while all(proc.poll() is None for proc in runs.values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    go_on.touch()
    results = {holder: (proc.communicate(timeout=120)[0], proc.returncode) for holder, proc in runs.items()}

    winners = [holder for holder, result in results.items() if result[1] == 0]
    losers = [holder for holder, result in results.items() if result[1] != 0]
    assert len(winners) == 1 and len(losers) == 1, {h: result[0][-3000:] for h, result in results.items()}
    loser_output = results[losers[0]][0]
    assert f"environment {ENV} is locked by {winners[0]} (run " in loser_output, loser_output[-3000:]
    assert f"run playbooks/unlock.yml -e confirm_unlock={ENV}" in loser_output
    assert lock_item() is None  # the winner released it


def test_stale_lock_check_mode_and_unlock(run_playbook, inventory, lock_item):
    # A run that dies holding the lock (here: never releases it).
    left = run_playbook(PLAYBOOK, inventory, "-e", "lock_hold_seconds=0", "-e", "lock_release=false")
    assert left.rc == 0, left.output[-3000:]
    assert lock_item()["holder"] == {"S": default_holder()}
    run_id = lock_item()["run_id"]["S"]

    # A check-mode run takes no lock but still refuses to plan against a locked environment.
    checked = run_playbook(PLAYBOOK, inventory, "--check", "-e", "lock_hold_seconds=0")
    assert checked.rc != 0 and f"is locked by {default_holder()} (run {run_id})" in checked.output

    # Unlock without confirmation, or with another environment's name, fails and says what to do.
    refused = run_playbook("playbooks/unlock.yml", inventory)
    assert refused.rc != 0
    assert f"environment {ENV} is locked by {default_holder()} (run {run_id})" in refused.output
    assert f"run again with -e confirm_unlock={ENV}" in " ".join(refused.output.split())
    wrong = run_playbook("playbooks/unlock.yml", inventory, "-e", "confirm_unlock=prod")
    assert wrong.rc != 0 and "confirm_unlock=prod does not name this environment" in " ".join(wrong.output.split())
    assert lock_item()["run_id"]["S"] == run_id

    removed = run_playbook("playbooks/unlock.yml", inventory, "-e", f"confirm_unlock={ENV}")
    assert removed.rc == 0, removed.output[-3000:]
    assert f"removed the deploy lock of {default_holder()} (run {run_id})" in removed.output
    assert lock_item() is None

    # An expired lock is taken over with a warning.
    short = run_playbook(
        PLAYBOOK, inventory, "-e", "lock_hold_seconds=0", "-e", "lock_release=false", "-e", "deploy_lock_ttl_seconds=1"
    )
    assert short.rc == 0, short.output[-3000:]
    stale_run = lock_item()["run_id"]["S"]
    time.sleep(1.5)
    taken = run_playbook(PLAYBOOK, inventory, "-e", "lock_hold_seconds=0")
    assert taken.rc == 0, taken.output[-3000:]
    assert f"took over the expired deploy lock of {default_holder()} (run {stale_run})" in taken.output
    assert lock_item() is None
