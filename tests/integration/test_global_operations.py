"""Day-2 operations on a prod-like environment: switchover, failover and failback, evacuation and restore.

One deployment for the whole module: a staging environment in two regions no other test uses, with the prod
topology (an Aurora global database: aurora_global_database true, a class global databases take) - not prod
itself, whose global cluster name (aurora-global-prod) other tests deploy into the same emulator. In order:
  * the plans (--check) of a switchover and an evacuation write nothing;
  * every bad input is refused before any write (0 write calls), the lock never taken;
  * a switchover to the other region and back, each followed by site.yml changed=0 and drift clean;
  * a failover refused without confirmation, then done, then the failback to the original layout;
  * an evacuation of the writer's region (API stopped: 429; writer moved; site.yml keeps it evacuated) and
    its restore; an evacuation whose replication does not catch up fails, recorded, and is restored.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml
from integration.helpers import log_bucket, make_inventory
from integration.stack_scan import deploy_lock

from emulator import control
from emulator.apigateway_invoke import invoke_url

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("global_operations")]

ENV = "staging"
PRIMARY, SECONDARY = "eu-central-2", "ap-southeast-3"
OUTSIDER = "ap-south-2"  # in one inventory below, never deployed: a region without a member
REGIONS = {PRIMARY: "10.80.0.0/16", SECONDARY: "10.81.0.0/16"}
GLOBAL = f"aurora-global-{ENV}"
PROD_LIKE = ["-e", json.dumps({"aurora_global_database": True, "aurora_instance_class": "db.r5.large"})]


@pytest.fixture(scope="module")
def inventory(tmp_path_factory) -> str:
    return str(make_inventory(tmp_path_factory.mktemp("ops") / "inventory", ENV, REGIONS, primary=PRIMARY))


@pytest.fixture(scope="module")
def ops(run_playbook, inventory, tmp_path_factory):
    """run(playbook, *args, inventory=...) with the prod-like settings, a private outputs dir and quick polls."""
    env = {"TAP_OUTPUTS_DIR": str(tmp_path_factory.mktemp("ops-outputs")), "TAP_WAIT_POLL_SECONDS": "0.2"}

    def run(playbook: str, *args: str, inventory_dir: str = inventory, prod_like: bool = True):
        return run_playbook(playbook, inventory_dir, *(PROD_LIKE if prod_like else []), *args, env=env)

    return run


@pytest.fixture(scope="module")
def deployed(ops):
    run = ops("site.yml")
    assert run.rc == 0, run.output[-6000:]
    return run


def writer(aws) -> str:
    found = aws("rds", PRIMARY).describe_global_clusters(GlobalClusterIdentifier=GLOBAL)["GlobalClusters"][0]
    (arn,) = [m["DBClusterArn"] for m in found["GlobalClusterMembers"] if m["IsWriter"]]
    return arn.split(":")[3]


def layout(aws) -> dict[str, tuple[bool, str | None]]:
    found = aws("rds", PRIMARY).describe_global_clusters(GlobalClusterIdentifier=GLOBAL)["GlobalClusters"][0]
    return {m["DBClusterArn"].split(":")[3]: (m["IsWriter"], m.get("SynchronizationStatus"))
            for m in found["GlobalClusterMembers"]}  # fmt: skip


def records(aws) -> list[dict]:
    s3 = aws("s3", PRIMARY)
    bucket = log_bucket(ENV, PRIMARY)
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"deployments/{ENV}/").get("Contents", []))
    return [json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()) for key in keys]


def new_record(aws, before: list[dict]) -> dict:
    (record,) = records(aws)[len(before) :]
    return record


def route_settings(aws, region: str) -> dict:
    apigateway = aws("apigatewayv2", region)
    (api,) = [a for a in apigateway.get_apis()["Items"] if a["Name"] == f"tap-api-{ENV}-{region}"]
    return apigateway.get_stage(ApiId=api["ApiId"], StageName=ENV).get("RouteSettings") or {}


def unsigned_status(aws, emulator_url: str, region: str) -> int:
    """Status of an unsigned POST /process: 429 while the route is stopped (throttling comes first), else 403."""
    apigateway = aws("apigatewayv2", region)
    (api,) = [a for a in apigateway.get_apis()["Items"] if a["Name"] == f"tap-api-{ENV}-{region}"]
    request = urllib.request.Request(invoke_url(emulator_url, f"{api['ApiEndpoint']}/{ENV}/process"),
                                     data=b'{"session_id": "x"}', method="POST")  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def assert_clean(ops) -> None:
    """site.yml changes nothing and drift finds nothing (run side by side: drift takes no lock)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        site, drift = pool.submit(ops, "site.yml"), pool.submit(ops, "playbooks/drift.yml", "--check", "--diff")
    site, drift = site.result(), drift.result()
    assert site.rc == 0 and site.changed() == 0, site.output[-6000:]
    assert drift.rc == 0 and "No drift: every managed resource matches the declared state" in drift.output, \
        drift.output[-6000:]


def text(run) -> str:
    return " ".join(run.output.split())


def test_plans_write_nothing(deployed, ops, aws, emulator_url):
    mark = control.last_call_seq(emulator_url)
    switchover = ops("playbooks/switchover.yml", "-e", f"target_region={SECONDARY}", "--check", "--diff")
    evacuation = ops("playbooks/evacuate.yml", "-e", f"region={PRIMARY}", "--check", "--diff")
    failover = ops("playbooks/failover.yml", "-e", f"target_region={SECONDARY}", "-e", f"confirm_failover={ENV}",
                   "--check")  # fmt: skip
    assert control.write_calls(emulator_url, mark) == []
    assert failover.rc == 0 and f"fail over the writer from {PRIMARY}" in text(failover), failover.output[-6000:]
    for run in (switchover, evacuation):
        assert run.rc == 0, run.output[-6000:]
    assert (f"global cluster {GLOBAL}: switch the writer over from {PRIMARY} (aurora-{ENV}-{PRIMARY}) to "
            f"{SECONDARY} (aurora-{ENV}-{SECONDARY})") in text(switchover)
    assert "planned (check mode): nothing was changed" in text(switchover)
    stop = f"stage {ENV} of HTTP API tap-api-{ENV}-{PRIMARY}: stop new traffic to route POST /process"
    assert stop in text(evacuation)
    assert f"switch the writer over from {PRIMARY}" in text(evacuation)
    assert writer(aws) == PRIMARY and route_settings(aws, PRIMARY) == {}


def test_bad_input_is_refused_before_any_write(deployed, ops, aws, emulator_url, tmp_path):
    outsider = make_inventory(tmp_path / "outsider", ENV, {**REGIONS, OUTSIDER: "10.82.0.0/16"}, primary=PRIMARY)
    dev = make_inventory(tmp_path / "dev", "dev", {PRIMARY: "10.83.0.0/16", SECONDARY: "10.84.0.0/16"}, primary=PRIMARY)
    prod = make_inventory(tmp_path / "prod", "prod", {PRIMARY: "10.85.0.0/16", SECONDARY: "10.86.0.0/16"},
                          primary=PRIMARY)  # fmt: skip
    inventories = {"ops": {}, "outsider": {"inventory_dir": str(outsider)}, "prod": {"inventory_dir": str(prod)},
                   "dev": {"inventory_dir": str(dev), "prod_like": False}}  # fmt: skip
    switchover, failover = "playbooks/switchover.yml", "playbooks/failover.yml"
    cases = {  # case: (playbook, extra vars (and options), inventory, what the refusal says)
        "unknown region": (switchover, ["target_region=mars-east-1"], "ops",
                           f"target_region: mars-east-1 is not a region of this inventory (regions: {PRIMARY}, "
                           f"{SECONDARY})"),
        "target already the writer": (switchover, [f"target_region={PRIMARY}"], "ops",
                                      f"{PRIMARY} (aurora-{ENV}-{PRIMARY}) is already the writer of global cluster "
                                      f"{GLOBAL}; AWS refuses a switchover to the writer (InvalidDBClusterStateFault)"),
        "not in the global database": (switchover, [f"target_region={OUTSIDER}"], "outsider",
                                       f"target_region: {OUTSIDER} has no member of global cluster {GLOBAL}"),
        "failover confirmed for another environment": (
            failover, [f"target_region={SECONDARY}", "confirm_failover=prod"], "ops",
            f"confirm it with -e confirm_failover={ENV} (confirm_failover=prod names another environment)"),
        "evacuate an unknown region": ("playbooks/evacuate.yml", ["region=mars-east-1"], "ops",
                                       "region: mars-east-1 is not a region of this inventory"),
        "dev without a global database": (switchover, [f"target_region={SECONDARY}"], "dev",
                                          "environment dev has no Aurora global database"),
        "prod evacuation unconfirmed": ("playbooks/evacuate.yml", [f"region={PRIMARY}"], "prod",
                                        f"evacuate {PRIMARY} in prod needs confirmation: run again with "
                                        "-e confirm_evacuate=prod"),
        "prod restore unconfirmed": ("playbooks/restore.yml", [f"region={PRIMARY}"], "prod",
                                     "-e confirm_restore=prod"),
        "target left out by --limit": (switchover, [f"target_region={SECONDARY}", ("--limit", f"controller:{PRIMARY}")],
                                       "ops", f"--limit controller:{PRIMARY} leaves out {SECONDARY}"),
    }

    def run(case):
        playbook, extra_vars, where, _refusal = cases[case]
        # A string is an extra var; a tuple, other options as they are.
        args = [arg for var in extra_vars for arg in (var if isinstance(var, tuple) else ("-e", var))]
        return ops(playbook, *args, **inventories[where])

    mark = control.last_call_seq(emulator_url)
    try:
        control.set_profile(emulator_url, account={"aurora_global_replication_lag_ms": 30000})
        lag = ops("playbooks/switchover.yml", "-e", f"target_region={SECONDARY}")
    finally:
        control.set_profile(emulator_url, account={})
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(cases, pool.map(run, cases), strict=True))
    assert lag.rc != 0 and (f"replication lag above max_replication_lag_ms (5000 ms): {SECONDARY} 30000 ms"
                            in text(lag)), lag.output[-4000:]
    for case, result in results.items():
        assert result.rc != 0, (case, result.output[-4000:])
        assert cases[case][3] in text(result), (case, result.output[-4000:])
    assert control.write_calls(emulator_url, mark) == []
    assert deploy_lock(aws, ENV, PRIMARY) is None and writer(aws) == PRIMARY


def test_switchover_and_back_leave_site_and_drift_clean(deployed, ops, aws):
    before = records(aws)
    there = ops("playbooks/switchover.yml", "-e", f"target_region={SECONDARY}")
    assert there.rc == 0, there.output[-6000:]
    assert writer(aws) == SECONDARY
    record = new_record(aws, before)
    assert record["outcome"] == "succeeded" and record["operation"]["name"] == "switchover"
    assert (record["operation"]["from"], record["operation"]["to"]) == (PRIMARY, SECONDARY)
    assert record["operation"]["started"] and record["operation"]["duration_seconds"] >= 0
    assert record["operation"]["aurora"]["replication_lag_ms"] == {SECONDARY: 120.0}
    assert f"DynamoDB global table sessions-{ENV}: nothing to move" in text(there)
    assert deploy_lock(aws, ENV, PRIMARY) is None

    # The current writer is the primary now: no drift, nothing moves it back, nothing is detached.
    assert_clean(ops)
    assert layout(aws) == {SECONDARY: (True, "connected"), PRIMARY: (False, "connected")}

    before = records(aws)
    back = ops("playbooks/switchover.yml", "-e", f"target_region={PRIMARY}")
    assert back.rc == 0, back.output[-6000:]
    assert writer(aws) == PRIMARY
    assert (new_record(aws, before)["operation"]["from"], writer(aws)) == (SECONDARY, PRIMARY)
    assert_clean(ops)


def test_failover_refused_unconfirmed_then_done_then_failback(deployed, ops, aws, emulator_url):
    mark = control.last_call_seq(emulator_url)
    refused = ops("playbooks/failover.yml", "-e", f"target_region={SECONDARY}")
    assert refused.rc != 0 and f"confirm it with -e confirm_failover={ENV}" in text(refused)
    assert control.write_calls(emulator_url, mark) == []

    before = records(aws)
    try:
        control.set_profile(emulator_url, account={"aurora_global_replication_lag_ms": 850})
        failover = ops("playbooks/failover.yml", "-e", f"target_region={SECONDARY}", "-e", f"confirm_failover={ENV}")
    finally:
        control.set_profile(emulator_url, account={})
    assert failover.rc == 0, failover.output[-6000:]
    assert writer(aws) == SECONDARY
    assert f"data-loss window: replication lag of {SECONDARY} just before the failover: 850 ms" in text(failover)
    record = new_record(aws, before)["operation"]
    assert record["name"] == "failover" and (record["from"], record["to"]) == (PRIMARY, SECONDARY)
    assert record["aurora"]["data_loss_window_ms"] == 850.0 and record["aurora"]["seconds"] >= 0
    assert f"-e target_region={PRIMARY} -e wait_for_resync=true" in text(failover)

    # Failback: the old writer's region rejoined as a secondary; a switchover (waiting for its resync) returns it.
    failback = ops("playbooks/switchover.yml", "-e", f"target_region={PRIMARY}", "-e", "wait_for_resync=true")
    assert failback.rc == 0, failback.output[-6000:]
    assert layout(aws) == {PRIMARY: (True, "connected"), SECONDARY: (False, "connected")}


def test_evacuation_and_restore(deployed, ops, aws, emulator_url):
    before = records(aws)
    evacuation = ops("playbooks/evacuate.yml", "-e", f"region={PRIMARY}")
    assert evacuation.rc == 0, evacuation.output[-6000:]
    assert route_settings(aws, PRIMARY) == {"POST /process": {"ThrottlingBurstLimit": 0, "ThrottlingRateLimit": 0.0}}
    assert unsigned_status(aws, emulator_url, PRIMARY) == 429 and unsigned_status(aws, emulator_url, SECONDARY) == 403
    assert writer(aws) == SECONDARY
    operation = new_record(aws, before)["operation"]
    assert operation["name"] == "evacuate" and operation["region"] == PRIMARY
    assert operation["writer_moved"] is True and (operation["from"], operation["to"]) == (PRIMARY, SECONDARY)
    assert operation["previous_route_settings"] == {"POST /process": None}
    assert operation["replication_latency_ms"] == {SECONDARY: 600.0}
    assert operation["smoke_tests"] == {SECONDARY: True}
    assert "DNS and health checks in front of" in text(evacuation)

    # A deploy during the evacuation neither reopens the region nor moves the writer back.
    run = ops("site.yml")
    assert run.rc == 0 and run.changed() == 0, run.output[-6000:]
    assert unsigned_status(aws, emulator_url, PRIMARY) == 429 and writer(aws) == SECONDARY

    before = records(aws)
    restore = ops("playbooks/restore.yml", "-e", f"region={PRIMARY}")
    assert restore.rc == 0, restore.output[-6000:]
    assert route_settings(aws, PRIMARY) == {} and unsigned_status(aws, emulator_url, PRIMARY) == 403
    assert writer(aws) == PRIMARY
    operation = new_record(aws, before)["operation"]
    assert operation["name"] == "restore" and (operation["from"], operation["to"]) == (SECONDARY, PRIMARY)
    assert operation["smoke_tests"] == {PRIMARY: True}


def test_an_evacuation_whose_replication_does_not_catch_up_fails_and_is_restored(deployed, ops, aws, emulator_url):
    before = records(aws)
    try:
        control.set_profile(emulator_url, account={"dynamodb_replication_latency_ms": {SECONDARY: 45000}})
        evacuation = ops("playbooks/evacuate.yml", "-e", f"region={SECONDARY}",
                         "-e", "global_operations_replication_timeout_seconds=1")  # fmt: skip
    finally:
        control.set_profile(emulator_url, account={})
    assert evacuation.rc != 0
    record = new_record(aws, before)
    assert record["outcome"] == "failed"
    assert f"ReplicationLatency to {PRIMARY} 45000 ms above max_latency_ms 2000" in record["reason"]
    # The writer was not in the region: it stayed; the region's traffic is stopped, the lock released.
    assert record["operation"]["writer_moved"] is False and writer(aws) == PRIMARY
    assert unsigned_status(aws, emulator_url, SECONDARY) == 429
    assert deploy_lock(aws, ENV, PRIMARY) is None

    restore = ops("playbooks/restore.yml", "-e", f"region={SECONDARY}")
    assert restore.rc == 0, restore.output[-6000:]
    assert unsigned_status(aws, emulator_url, SECONDARY) == 403 and writer(aws) == PRIMARY
    assert yaml.safe_load(json.dumps(records(aws)[-1]))["operation"]["name"] == "restore"
