"""playbooks/smoke.yml right after a deploy of inventories/local (as after `make demo`)."""

from __future__ import annotations

import pytest
from integration.helpers import REGIONS
from integration.smoke_helpers import leftovers, smoke_table
from integration.stack_scan import deploy_lock
from integration.helpers import data_bucket

from emulator import control

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dev_stack")]

CHECKS = ["api_found", "object_to_item", "api_returns_item", "api_unknown_404", "api_refuses_unauthenticated",
          "global_table", "cleanup"]  # fmt: skip
# What a smoke run may write: the lock item, the test object and item (and their removal), the API calls
# (POST is a write by HTTP method), and the function storing the test object.
TEST_DATA_WRITES = {
    ("dynamodb", "PutItem"),
    ("dynamodb", "DeleteItem"),
    ("s3", "PUT object"),
    ("s3", "POST bucket?delete"),
    ("execute-api", "POST /dev/process"),
}


def test_smoke_tests_pass_in_every_region_and_leave_nothing_behind(dev_stack, run_playbook, aws, emulator_url):
    mark = control.last_call_seq(emulator_url)
    run = run_playbook("playbooks/smoke.yml", env={"TAP_OUTPUTS_DIR": str(dev_stack["outputs_dir"])})
    assert run.rc == 0, run.output[-6000:]
    assert run.changed() == 0
    assert "Smoke tests of dev: all passed" in run.output
    assert smoke_table(run.output, "dev") == {region: dict.fromkeys(CHECKS, "pass") for region in REGIONS}

    assert leftovers(aws, "dev", REGIONS) == {}
    assert deploy_lock(aws, "dev", "us-east-1") is None
    writes = {(c["service"], c["operation"]) for c in control.write_calls(emulator_url, mark)}
    assert writes <= TEST_DATA_WRITES, writes - TEST_DATA_WRITES
    # The API of every region was called (signed) at the emulator with the invoke URL's host.
    api_regions = {c["region"] for c in control.calls(emulator_url, mark) if c["service"] == "execute-api"}
    assert api_regions == set(REGIONS)


def test_a_failing_region_fails_the_run_and_names_the_check(dev_stack, run_playbook, aws):
    """The function of eu-west-1 no longer hears of new objects: that region fails, the others pass."""
    s3 = aws("s3", "eu-west-1")
    bucket = data_bucket("dev", "eu-west-1")
    notification = s3.get_bucket_notification_configuration(Bucket=bucket)
    notification.pop("ResponseMetadata")
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    try:
        run = run_playbook(
            "playbooks/smoke.yml",
            "inventories/local",
            "-e",
            "smoke_timeout_seconds=1",
            env={"TAP_OUTPUTS_DIR": str(dev_stack["outputs_dir"])},
        )
    finally:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=notification)
    assert run.rc != 0
    table = smoke_table(run.output, "dev")
    assert table["us-east-1"] == table["us-east-2"] == dict.fromkeys(CHECKS, "pass")
    assert table["eu-west-1"]["object_to_item"] == "FAIL" and table["eu-west-1"]["cleanup"] == "pass"
    assert "smoke tests failed in eu-west-1" in run.output
    assert (
        "eu-west-1 object_to_item failed: no item smoke-tests/" in run.output
        and "the function did not store the object" in run.output
    )
    assert leftovers(aws, "dev", REGIONS) == {}
    assert deploy_lock(aws, "dev", "us-east-1") is None
