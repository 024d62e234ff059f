"""The canary rollout (site.yml -e tap_rollout=canary) and the smoke tests in both authorization modes.

A staging environment of its own in two regions no other test uses: CANARY (the primary, AWS_IAM) and
JWT_REGION (its route has a JWT authorizer: lambda_api_jwt_issuer / lambda_api_jwt_audience in the
inventory). In order:
  * a plan of the rollout before anything exists shows the waves and writes nothing;
  * site.yml deploys the environment; playbooks/smoke.yml passes in both regions (S3 -> function ->
    sessions table, POST /process signed and with a bearer token) and leaves nothing behind;
  * a rollout of a change (the function's log level) whose canary gets an alarm set to ALARM during the
    bake halts: the canary has the change, JWT_REGION has not had a single write call, the deployment
    record says halted with the reason, the lock is released;
  * the same rollout without alarm deploys every region, and a following site.yml reports changed=0.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from integration.helpers import REPO_ROOT, make_inventory
from integration.smoke_helpers import leftovers, smoke_table
from integration.stack_scan import deploy_lock
from integration.helpers import log_bucket

from emulator import control

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("rollout")]

ENV = "staging"
CANARY, JWT_REGION = "eu-central-1", "ap-south-1"
REGIONS = {CANARY: "10.70.0.0/16", JWT_REGION: "10.71.0.0/16"}
ISSUER, AUDIENCE = "https://issuer.example.com/tap-staging", "tap-staging-client"
ALARM = f"tap-{ENV}-{CANARY}-lambda-errors"
CHECKS = ["api_found", "object_to_item", "api_returns_item", "api_unknown_404", "api_refuses_unauthenticated",
          "global_table", "cleanup"]  # fmt: skip
# The change the rollouts deploy (the function's LOG_LEVEL), and a short bake polled often.
CHANGE = ["-e", "lambda_api_log_level=DEBUG"]
ROLLOUT = ["-e", "tap_rollout=canary", "-e", "rollout_bake_poll_seconds=0.2"]


def jwt_token() -> str:
    sys.path.insert(0, str(REPO_ROOT / "tests"))
    from lambda_runtime_support import jwt

    now = int(time.time())
    return jwt({"iss": ISSUER, "aud": AUDIENCE, "sub": "smoke", "iat": now, "exp": now + 600})


@pytest.fixture(scope="module")
def inventory(tmp_path_factory) -> str:
    directory = make_inventory(tmp_path_factory.mktemp("rollout") / "inventory", ENV, REGIONS, primary=CANARY)
    hosts = yaml.safe_load((directory / "hosts.yml").read_text())
    hosts["all"]["children"][ENV]["children"]["regions"]["hosts"][JWT_REGION].update(
        lambda_api_jwt_issuer=ISSUER, lambda_api_jwt_audience=[AUDIENCE]
    )
    (directory / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    return str(directory)


@pytest.fixture(scope="module")
def outputs_env(tmp_path_factory) -> dict:
    return {"TAP_OUTPUTS_DIR": str(tmp_path_factory.mktemp("rollout-outputs"))}


def records(aws) -> list[dict]:
    s3 = aws("s3", CANARY)
    bucket = log_bucket(ENV, CANARY)
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"deployments/{ENV}/").get("Contents", []))
    return [json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()) for key in keys]


def log_level(aws, region: str) -> str:
    function = aws("lambda", region).get_function_configuration(FunctionName=f"data-processor-{ENV}-{region}")
    return function["Environment"]["Variables"]["LOG_LEVEL"]


def writes_by_region(url: str, mark: int) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for call in control.write_calls(url, mark):
        found.setdefault(call["region"], []).append(f"{call['service']} {call['operation']}")
    return found


def test_a_plan_of_the_rollout_shows_the_waves_and_writes_nothing(run_playbook, inventory, outputs_env, emulator_url):
    mark = control.last_call_seq(emulator_url)
    plan = run_playbook("site.yml", inventory, *ROLLOUT, "--check", "--diff", env=outputs_env)
    assert plan.rc == 0, plan.output[-6000:]
    text = " ".join(plan.output.split())
    assert f"Plan of the canary rollout of {ENV}" in text
    assert f"wave 1: {CANARY} (canary): deploy the region, run its smoke tests, then watch its alarms for 300 s" in text
    assert f"wave 2: {JWT_REGION}: deploy" in text
    assert f"Smoke tests of {ENV}: planned (check mode)" in text
    assert smoke_table(plan.output, ENV) == {CANARY: dict.fromkeys(CHECKS, "plan")}
    assert "in a real run the rollout halts here when the canary's deploy or smoke tests fail" in text
    # Both waves and the global resources are planned, region by region.
    for region, cidr in REGIONS.items():
        assert f"{region} | tap.multiregion.vpc : " in text and f"create VPC tap-{ENV}-{region} ({cidr})" in text
    assert f"{CANARY} | tap.multiregion.dynamodb_global : " in text
    assert f"create replica {JWT_REGION} of table sessions-{ENV}" in text
    assert control.write_calls(emulator_url, mark) == []


@pytest.fixture(scope="module")
def deployed(run_playbook, inventory, outputs_env):
    run = run_playbook("site.yml", inventory, env=outputs_env)
    assert run.rc == 0, run.output[-6000:]
    return run


def route_authorization(aws, region: str) -> str:
    apigateway = aws("apigatewayv2", region)
    (api,) = [a for a in apigateway.get_apis()["Items"] if a["Name"] == f"tap-api-{ENV}-{region}"]
    (route,) = apigateway.get_routes(ApiId=api["ApiId"])["Items"]
    return route["AuthorizationType"]


def test_smoke_tests_pass_with_aws_iam_and_jwt_and_leave_nothing_behind(deployed, run_playbook, inventory, aws):
    assert {region: route_authorization(aws, region) for region in REGIONS} == {CANARY: "AWS_IAM", JWT_REGION: "JWT"}
    token = jwt_token()
    run = run_playbook("playbooks/smoke.yml", inventory, "-e", f"smoke_jwt_token={token}")
    assert run.rc == 0, run.output[-6000:]
    assert smoke_table(run.output, ENV) == {region: dict.fromkeys(CHECKS, "pass") for region in REGIONS}
    assert token not in run.output
    assert leftovers(aws, ENV, REGIONS) == {}


def test_a_canary_halted_by_an_alarm_leaves_the_other_region_untouched(
    deployed, inventory, outputs_env, aws, emulator_url, tmp_path
):
    before = records(aws)
    mark = control.last_call_seq(emulator_url)
    log = tmp_path / "rollout.log"
    rollout = start_playbook(emulator_url, inventory, log, *ROLLOUT, *CHANGE, "-e", "rollout_bake_seconds=300",
                             env=outputs_env)  # fmt: skip
    try:
        # Fire the canary's alarm once the bake is watching it.
        while not [c for c in control.calls(emulator_url, mark) if c["operation"] == "DescribeAlarms"]:
            assert rollout.poll() is None, log.read_text()[-6000:]
            time.sleep(0.05)
        aws("cloudwatch", CANARY).set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="errors above 10")
        rollout.wait(timeout=300)
    finally:
        if rollout.poll() is None:
            rollout.kill()
        aws("cloudwatch", CANARY).set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="test over")
    output = log.read_text()
    assert rollout.returncode != 0
    reason = f"canary {CANARY}: bake of 300 s: alarm {ALARM} is in ALARM: errors above 10"
    assert f"rollout halted: {reason}; {JWT_REGION} not touched" in " ".join(output.split())

    writes = writes_by_region(emulator_url, mark)
    assert JWT_REGION not in writes, writes[JWT_REGION]
    assert log_level(aws, CANARY) == "DEBUG" and log_level(aws, JWT_REGION) == "INFO"
    (record,) = records(aws)[len(before) :]
    assert record["outcome"] == "halted" and record["reason"] == reason
    assert record["rollout"] == {
        "strategy": "canary",
        "canary": CANARY,
        "bake_seconds": 300,
        "waves": [[CANARY], [JWT_REGION]],
    }
    assert deploy_lock(aws, ENV, CANARY) is None


def test_failed_deploys_are_recorded_as_failed(deployed, run_playbook, inventory, outputs_env, aws, emulator_url):
    """A setting the lambda_api role refuses (validation before the run does not check it), once in a rollout
    (only the canary fails) and once in site.yml."""
    broken = ["-e", "lambda_api_jwt_issuer=http://not-https.example.com"]
    before = records(aws)
    mark = control.last_call_seq(emulator_url)
    rollout = run_playbook("site.yml", inventory, *ROLLOUT, *broken, env=outputs_env)
    assert rollout.rc != 0
    assert JWT_REGION not in writes_by_region(emulator_url, mark)
    site = run_playbook("site.yml", inventory, *broken, env=outputs_env)
    assert site.rc != 0

    canary_failed, site_failed = records(aws)[len(before) :]
    assert canary_failed["outcome"] == "failed" and canary_failed["rollout"]["canary"] == CANARY
    assert canary_failed["reason"].startswith(f"canary {CANARY}: deploy failed: Check the lambda_api settings: ")
    assert site_failed["outcome"] == "failed" and site_failed["rollout"] is None
    assert site_failed["reason"].startswith(f"{CANARY}: Check the lambda_api settings: ")
    assert f"; {JWT_REGION}: Check the lambda_api settings: " in site_failed["reason"]
    assert deploy_lock(aws, ENV, CANARY) is None


def test_a_clean_canary_deploys_every_region_then_site_changes_nothing(
    deployed, run_playbook, inventory, outputs_env, aws
):
    before = records(aws)
    rollout = run_playbook("site.yml", inventory, *ROLLOUT, *CHANGE, "-e", "rollout_bake_seconds=0", env=outputs_env)
    assert rollout.rc == 0, rollout.output[-6000:]
    assert smoke_table(rollout.output, ENV) == {CANARY: dict.fromkeys(CHECKS, "pass")}
    assert log_level(aws, CANARY) == log_level(aws, JWT_REGION) == "DEBUG"
    (record,) = records(aws)[len(before) :]
    assert record["outcome"] == "succeeded" and record["reason"] is None
    assert record["rollout"]["waves"] == [[CANARY], [JWT_REGION]]
    assert set(record["outputs"]) == set(REGIONS)

    again = run_playbook("site.yml", inventory, *CHANGE, env=outputs_env)
    assert again.rc == 0, again.output[-6000:]
    assert again.changed() == 0, again.output[-6000:]


def start_playbook(url: str, inventory: str, log: Path, *args: str, env: dict) -> subprocess.Popen:
    """ansible-playbook site.yml in the background (output to log), as the run_playbook fixture runs it."""
    environment = {
        **os.environ,
        **env,
        "TAP_EMULATOR_URL": url,
        "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    with log.open("w") as out:
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "ansible-playbook"), "site.yml", "-i", inventory, *args],
            cwd=REPO_ROOT,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
