"""The pure parts of the benchmark (bench/analysis.py): request classification, trace parsing, medians, targets."""

from __future__ import annotations

import json

import pytest

from bench import analysis, aws_report, aws_suite, aws_time, critical_path
from emulator import middleware


def logged(service, region, method="POST", path="/", query="", target=None, body=b"", seq=1, when=1796000000.5):
    """A call-log entry as the emulator's middleware records it for this signed request (None: not an AWS call)."""
    environ = {
        "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 Credential=tap-emulator/20261125/{region}/{service}/aws4_request, "
                              "SignedHeaders=host;x-amz-date, Signature=abc",
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
    }
    if target:
        environ["HTTP_X_AMZ_TARGET"] = target
    call = middleware.identify(environ, body)
    if call is not None:
        call.update(seq=seq, time=when, status=200)
    return call


def parsed(*entries):
    return analysis.parse_call_log(entries)


@pytest.mark.parametrize(
    ("operation", "method", "kind"),
    [
        ("DescribeVpcs", "POST", "read"),
        ("GetRole", "POST", "read"),
        ("ListTagsForResource", "POST", "read"),
        ("HeadBucket", "POST", "read"),
        ("Query", "POST", "read"),
        ("CreateVpc", "POST", "write"),
        ("PutMetricAlarm", "POST", "write"),
        ("TagResource", "POST", "write"),
        (None, "GET", "read"),
        (None, "HEAD", "read"),
        (None, "PUT", "write"),
        (None, "POST", "write"),
        (None, "DELETE", "write"),
        (None, "PATCH", "write"),
    ],
)
def test_classify(operation, method, kind):
    assert analysis.classify(operation, method) == kind


def test_query_protocol_action_from_the_form_body():
    [call] = parsed(logged("ec2", "eu-west-1", body=b"Action=DescribeSubnets&Version=2016-11-15"))
    assert call["service"] == "ec2"
    assert call["region"] == "eu-west-1"
    assert call["operation"] == "DescribeSubnets"
    assert call["kind"] == "read"
    assert call["label"] == "ec2:DescribeSubnets"
    assert call["time"] == 1796000000.5


def test_query_protocol_write():
    [call] = parsed(logged("iam", "us-east-1", body=b"Action=AttachRolePolicy&RoleName=x"))
    assert (call["operation"], call["kind"]) == ("AttachRolePolicy", "write")


def test_json_protocol_operation_from_the_target_header():
    [call] = parsed(logged("logs", "us-east-2", target="Logs_20140328.PutRetentionPolicy", body=b"{}"))
    assert (call["operation"], call["kind"], call["region"]) == ("PutRetentionPolicy", "write", "us-east-2")
    [read] = parsed(logged("kms", "us-east-2", target="TrentService.GetKeyPolicy", body=b"{}"))
    assert read["kind"] == "read"


def test_rest_services_by_http_method():
    [get] = parsed(logged("lambda", "us-east-1", "GET", "/2015-03-31/functions/data-processor-dev-us-east-1/policy"))
    assert get["operation"] is None
    assert get["kind"] == "read"
    assert get["label"] == "lambda:GET /2015-03-31/functions/{}/policy"
    [put] = parsed(logged("s3", "eu-west-1", "PUT", "/tap-data-dev-eu-west-1", query="encryption"))
    assert (put["kind"], put["label"]) == ("write", "s3:PUT bucket?encryption")
    [head] = parsed(logged("s3", "eu-west-1", "HEAD", "/tap-data-dev-eu-west-1"))
    assert (head["kind"], head["label"]) == ("read", "s3:HEAD bucket")
    [obj] = parsed(logged("s3", "us-east-1", "PUT", "/bucket/deployments/dev/x.json"))
    assert obj["label"] == "s3:PUT object"
    assert analysis.is_data_write(obj)
    [api] = parsed(logged("apigateway", "us-east-1", "POST", "/v2/apis/abc123/routes"))
    assert (api["kind"], api["label"]) == ("write", "apigateway:POST /v2/apis/{}/routes")


def test_unsigned_requests_are_not_aws_calls():
    assert logged("s3", "us-east-1") is not None
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/moto-api/", "QUERY_STRING": ""}
    assert middleware.identify(environ, b"") is None
    assert analysis.parse_call_log([{"seq": 1, "operation": "x"}]) == []


def test_call_log_by_region_with_data_writes_and_credential_calls():
    calls = parsed(
        logged("ec2", "us-east-1", body=b"Action=DescribeVpcs", seq=1),
        logged("ec2", "us-east-1", body=b"Action=DescribeSubnets", seq=2),
        logged("ec2", "us-east-2", body=b"Action=CreateTags", seq=3),
        logged("dynamodb", "us-east-1", target="DynamoDB_20120810.PutItem", body=b"{}", seq=4),
        logged("s3", "us-east-2", "GET", "/b", query="policy", seq=5),
        logged("sts", "us-east-2", body=b"Action=AssumeRole&RoleArn=arn", seq=6),
    )
    assert len(calls) == 6
    assert analysis.is_credential_call(calls[-1])
    by_region = analysis.calls_by_region(calls)
    assert list(by_region) == ["us-east-1", "us-east-2"]
    east1, east2 = by_region["us-east-1"], by_region["us-east-2"]
    assert (east1["read"], east1["write"], east1["data_write"], east1["credential"]) == (2, 1, 1, 0)
    assert east1["writes"] == {"dynamodb:PutItem": 1}
    # AssumeRole resolves credentials: counted apart, neither a read nor a write of the stack
    assert (east2["read"], east2["write"], east2["data_write"], east2["credential"]) == (1, 1, 0, 1)
    assert east2["operations"] == {"ec2:CreateTags": 1, "s3:GET bucket?policy": 1}


def test_median():
    assert analysis.median([3, 1, 2]) == 2
    assert analysis.median([4.0, 1.0, 2.0, 3.0]) == 2.5
    assert analysis.median([None, 5, None]) == 5
    assert analysis.median([]) is None
    assert analysis.median([None]) is None


def result(host, action, status="ok", items=None, role="tap.multiregion.vpc", task="t", start=0.0, end=1.0, uuid=None):
    return {"event": "result", "host": host, "action": action, "status": status, "items": items, "role": role,
            "task": task, "start": start, "end": end, "uuid": uuid or f"{task}", "play": "p", "changed": False}


def test_module_invocations_exclude_controller_actions_and_skips():
    assert analysis.module_invocations(result("r", "tap.multiregion.vpc_network")) == 1
    assert analysis.module_invocations(result("r", "amazon.aws.iam_role", items=2)) == 2
    assert analysis.module_invocations(result("r", "amazon.aws.iam_role", items=0)) == 0
    assert analysis.module_invocations(result("r", "amazon.aws.kms_key", status="skipped")) == 0
    assert analysis.module_invocations(result("r", "amazon.aws.kms_key", status="failed")) == 1
    for action in ("ansible.builtin.set_fact", "set_fact", "ansible.builtin.debug", "ansible.builtin.assert",
                   "ansible.builtin.include_tasks", "ansible.builtin.include_role", "ansible.builtin.meta",
                   "ansible.builtin.validate_argument_spec", "ansible.builtin.set_stats",
                   "tap.multiregion.lambda_package", "ansible.legacy.debug"):
        assert analysis.module_invocations(result("r", action)) == 0, action
    # a module of another collection that happens to share a controller action's short name is a module
    assert analysis.module_invocations(result("r", "some.collection.debug")) == 1


def test_invocations_by_host_role_and_split():
    results = [
        result("us-east-1", "tap.multiregion.vpc_network", role="tap.multiregion.vpc"),
        result("us-east-1", "amazon.aws.iam_role", items=2, role="tap.multiregion.aurora"),
        result("us-east-1", "ansible.builtin.set_fact", role="tap.multiregion.aurora"),
        result("us-east-2", "tap.multiregion.vpc_network", role="tap.multiregion.vpc"),
        result("localhost", "ansible.builtin.uri", role=""),
    ]
    assert analysis.invocations_by_host(results) == {"localhost": 1, "us-east-1": 3, "us-east-2": 1}
    assert analysis.invocations_by_role(results)["us-east-1"] == {"tap.multiregion.aurora": 2,
                                                                  "tap.multiregion.vpc": 1}
    assert analysis.invocations_by_role(results)["localhost"] == {"(play)": 1}
    split = analysis.invocations_split(results, {"tap.multiregion.vpc_network"})
    assert split["us-east-1"] == {"forked": 2, "in_process": 1}


def test_parse_trace_and_changed():
    stats = {"us-east-1": {"ok": 5, "changed": 2}, "localhost": {"changed": 1}}
    lines = [json.dumps(result("us-east-1", "tap.multiregion.vpc_network")), "garbage",
             json.dumps({"event": "stats", "stats": stats})]
    results, stats = analysis.parse_trace("\n".join(lines))
    assert len(results) == 1
    assert analysis.changed_total(stats) == 3
    assert analysis.changed_total(stats, ["us-east-1"]) == 2


def test_task_and_role_walls():
    results = [
        result("us-east-1", "tap.multiregion.vpc_network", task="Net (us-east-1)", uuid="a", start=10, end=12),
        result("us-east-2", "tap.multiregion.vpc_network", task="Net (us-east-2)", uuid="a", start=10.5, end=13),
        result("us-east-1", "amazon.aws.kms_key", task="Key", uuid="b", start=13, end=14,
               role="tap.multiregion.baseline"),
    ]
    walls = analysis.task_walls(results)
    assert [(w["task"], w["wall_s"], w["hosts"]) for w in walls] == [("Net", 3.0, 2), ("Key", 1.0, 1)]
    assert analysis.role_walls(results) == {
        "tap.multiregion.vpc": {"wall_s": 3.0, "tasks": 1, "invocations": 2},
        "tap.multiregion.baseline": {"wall_s": 1.0, "tasks": 1, "invocations": 1},
    }


def test_attribute_calls_by_region_and_second():
    results = [
        result("us-east-1", "amazon.aws.kms_key", task="Key (us-east-1)", start=100.2, end=101.9),
        result("us-east-2", "amazon.aws.kms_key", task="Key (us-east-2)", start=100.2, end=101.9),
        result("us-east-1", "tap.multiregion.vpc_network", task="Net (us-east-1)", start=102.0, end=104.0),
    ]
    calls = [
        {"region": "us-east-1", "time": 101.0, "kind": "read"},
        {"region": "us-east-2", "time": 101.0, "kind": "read"},
        {"region": "us-east-1", "time": 103.0, "kind": "write"},
        {"region": "us-east-1", "time": None, "kind": "read"},
    ]
    got = analysis.attribute_calls(calls, results, ["us-east-1", "us-east-2"])
    assert got == {"Key": {"read": 2, "write": 0}, "Net": {"read": 0, "write": 1},
                   "(unattributed)": {"read": 1, "write": 0}}


def test_parse_profile_tasks():
    output = "\n".join([
        "TASK [x] ***",
        "Wednesday 25 November 2026  14:00:00 +0000 (0:00:01.000)       0:00:05.000 ****",
        "",
        "TASKS RECAP ********************************************************************",
        "Wednesday 25 November 2026  14:01:00 +0000 (0:00:00.100)       0:01:00.000 ****",
        "===============================================================================",
        "tap.multiregion.vpc : Ensure the network (us-east-1) -------------------- 2.96s",
        "tap.multiregion.aurora : Ensure the app security group (us-east-1) ------ 2.17s",
    ])
    assert analysis.parse_profile_tasks(output) == [
        {"task": "tap.multiregion.vpc : Ensure the network (us-east-1)", "seconds": 2.96},
        {"task": "tap.multiregion.aurora : Ensure the app security group (us-east-1)", "seconds": 2.17},
    ]
    assert analysis.parse_profile_tasks(output, limit=1)[0]["seconds"] == 2.96
    assert analysis.parse_profile_tasks("no recap here ---- 1.00s") == []


def region(reads, writes, resources, data_writes=0):
    return {"reads": reads, "writes": writes, "resources": resources, "data_writes": data_writes}


def by_target(rows):
    return {r["target"]: r for r in rows}


def test_targets_all_pass():
    summary = {
        "3": {"first_s": 80.0, "noop_s": 30.0, "noop_changed": 0, "noop_ansible_cpu_s": 20.0,
              "per_region": {"us-east-1": region(100, 0, 58), "us-east-2": region(90, 0, 50)}},
        "6": {"first_s": 120.0, "noop_s": 45.0, "noop_changed": 0, "noop_ansible_cpu_s": 30.0,
              "per_region": {"us-east-1": region(100, 0, 58)}},
    }
    rows = analysis.evaluate_targets(summary)
    assert all(r["passed"] is True for r in rows), rows
    t = by_target(rows)
    assert t["first converge: 6 regions / 3 regions"]["value"] == 1.5
    assert t["no-op CPU seconds (indicator, insensitive to load): 6 regions / 3 regions"]["value"] == 1.5
    assert t["no-op read calls per managed resource (worst region)"]["value"] == 1.8


def test_targets_failures_and_missing_data():
    summary = {
        3: {"first_s": 95.0, "noop_s": 40.0, "noop_changed": 2,
            "per_region": {"us-east-1": region(127, 3, 58, data_writes=3), "us-east-2": region(120, 1, 58)}},
    }
    t = by_target(analysis.evaluate_targets(summary))
    assert t["first converge, 3 regions (s)"]["passed"] is False
    assert t["no-op converge, 3 regions (s)"]["passed"] is True  # the limit is inclusive
    assert t["no-op reports changed=0 (worst run)"] == {
        "target": "no-op reports changed=0 (worst run)", "value": 2, "limit": 0, "passed": False}
    assert t["write calls in a no-op run (worst region, all)"]["value"] == 3
    resource_writes = [k for k in t if k.startswith("write calls to managed resources")][0]
    assert t[resource_writes]["value"] == 1 and t[resource_writes]["passed"] is False
    assert t["no-op read calls per managed resource (worst region)"]["value"] == 2.19
    assert t["no-op read calls per managed resource (worst region)"]["passed"] is False
    assert t["first converge: 6 regions / 3 regions"]["passed"] is None
    assert t["first converge: 6 regions / 3 regions"]["value"] is None


def test_targets_with_no_data():
    assert all(r["passed"] is None for r in analysis.evaluate_targets({}))


def test_render_markdown_smoke():
    report = {
        "meta": {"date": "d", "commit": "abc", "repeat": 1},
        "summary": {"3": {"first_s": 80.0, "noop_s": 30.0, "floor_s": 3.0, "noop_changed": 0,
                          "per_region": {"us-east-1": region(100, 0, 58)}}},
        "targets": analysis.evaluate_targets({"3": {"first_s": 80.0, "noop_s": 30.0, "noop_changed": 0}}),
        "runs": [],
    }
    text = analysis.render_markdown(report)
    assert "| 3 | 80.0 | 30.0 |" in text
    assert "| first converge, 3 regions (s) | 80.00 | 90.0 | pass |" in text


def test_module_tasks_and_wall_split():
    results = [
        result("us-east-1", "amazon.aws.iam_role", items=2, task="Roles (us-east-1)", uuid="a", start=0, end=3),
        result("us-east-2", "amazon.aws.iam_role", items=2, task="Roles (us-east-1)", uuid="a", start=0, end=1),
        result("us-east-1", "ansible.builtin.set_fact", task="Facts", uuid="b", start=3, end=3.5),
        result("us-east-2", "amazon.aws.kms_key", status="skipped", task="Delete", uuid="c", start=3.5, end=3.6),
    ]
    assert analysis.module_tasks(results) == [{
        "role": "tap.multiregion.vpc", "task": "Roles", "action": "amazon.aws.iam_role", "hosts": 2,
        "invocations": 4, "median_s": 2.0, "max_s": 3.0}]
    split = analysis.wall_split(iter(results))
    assert split == {"module_tasks": 1, "module_s": 3.0, "other_tasks": 2, "other_s": 0.6,
                     "task_results_by_host": {"us-east-1": 2, "us-east-2": 2}}


def test_calls_by_service():
    operations = {"kms:DescribeKey": 4, "kms:CreateAlias": 1, "s3:GET bucket?policy": 2, "s3:PUT object": 1,
                  "lambda:GET /2015-03-31/functions/{}": 1}
    assert analysis.calls_by_service(operations) == {
        "kms": {"read": 4, "write": 1}, "lambda": {"read": 1, "write": 0}, "s3": {"read": 2, "write": 1}}


def test_worker_processes_one_per_task_and_host_that_ran_a_module():
    results = [
        result("us-east-1", "tap.multiregion.vpc_network"),
        result("us-east-1", "tap.multiregion.iam_service_role", items=2),  # loop items share the worker
        result("us-east-2", "tap.multiregion.vpc_network"),
        result("us-east-2", "tap.multiregion.kms_key", status="skipped"),
        result("localhost", "ansible.builtin.set_fact"),
    ]
    assert analysis.worker_processes(results) == 3


def test_attribute_calls_with_precise_times_and_without_credential_calls():
    results = [
        result("us-east-1", "tap.multiregion.kms_key", task="Key (us-east-1)", start=100.0, end=100.5),
        result("us-east-1", "tap.multiregion.vpc_network", task="Net (us-east-1)", start=100.6, end=101.2),
    ]
    calls = [
        {"region": "us-east-1", "time": 100.55, "kind": "read", "label": "kms:DescribeKey"},  # between the tasks
        {"region": "us-east-1", "time": 100.4, "kind": "read", "label": "kms:DescribeKey"},
        {"region": "us-east-1", "time": 100.7, "kind": "write", "label": "ec2:CreateVpc"},
        {"region": "us-east-1", "time": 100.7, "kind": "write", "label": "sts:AssumeRole"},
    ]
    got = analysis.attribute_calls(calls, results, ["us-east-1"], resolution=0.001)
    assert got == {"Key": {"read": 1, "write": 0}, "Net": {"read": 0, "write": 1},
                   "(unattributed)": {"read": 1, "write": 0}}


# ---------------------------------------------------------------------------------------------
# Critical path (bench/critical_path.py)
# ---------------------------------------------------------------------------------------------

DURATIONS = {
    "rds.cluster.create": 600.0, "rds.instance.create": 540.0, "rds.global.join": 900.0,
    "rds.instance.delete": 420.0, "rds.cluster.delete": 300.0, "rds.global.detach": 180.0,
    "dynamodb.table.create": 20.0, "dynamodb.replica.create": 300.0, "dynamodb.replica.delete": 180.0,
    "dynamodb.table.delete": 10.0, "iam.role.propagation": 10.0, "lambda.function.create": 60.0,
    "lambda.eni.linger": 1800.0,
}
THREE = ["us-east-1", "us-east-2", "eu-west-1"]


def chains(path):
    return {c["name"]: c["seconds"] for c in path["chains"]}


def test_critical_path_of_a_dev_converge_creates_cluster_and_instances_at_once():
    path = critical_path.critical_path(DURATIONS, THREE)
    got = chains(path)
    # the emulator starts an instance's clock when it is created, while its cluster is creating
    assert got["Aurora eu-west-1"] == 600.0
    assert got["DynamoDB global table"] == 20.0 + 2 * 300.0  # replicas one after the other
    assert got["Lambda us-east-2"] == 70.0
    assert (path["longest"], path["seconds"]) == ("DynamoDB global table", 620.0)
    aurora = next(c for c in path["chains"] if c["name"] == "Aurora us-east-1")
    assert [s["step"] for s in aurora["steps"]] == ["rds.cluster.create | rds.instance.create"]
    slow_instances = critical_path.critical_path(dict(DURATIONS, **{"rds.instance.create": 900.0}), THREE)
    assert (slow_instances["longest"], slow_instances["seconds"]) == ("Aurora us-east-1", 900.0)


def test_critical_path_of_a_prod_converge_adds_the_global_join_after_the_primary():
    path = critical_path.critical_path(DURATIONS, THREE, global_database=True)
    got = chains(path)
    assert got["Aurora us-east-1"] == 600.0
    assert got["Aurora us-east-2"] == got["Aurora eu-west-1"] == 600 + 900  # the join outlasts the instances
    assert path["seconds"] == 1500.0
    assert path["longest"] in ("Aurora us-east-2", "Aurora eu-west-1")
    # another primary: the others join it
    other = critical_path.critical_path(DURATIONS, THREE, primary="eu-west-1", global_database=True)
    assert chains(other)["Aurora eu-west-1"] == 600.0 and chains(other)["Aurora us-east-1"] == 1500.0


def test_critical_path_follows_the_durations_the_emulator_used():
    slow_replicas = dict(DURATIONS, **{"dynamodb.replica.create": 1000.0})
    path = critical_path.critical_path(slow_replicas, THREE)
    assert (path["longest"], path["seconds"]) == ("DynamoDB global table", 2020.0)
    six = critical_path.critical_path(DURATIONS, THREE + ["us-west-2", "eu-central-1", "ap-southeast-2"])
    assert chains(six)["DynamoDB global table"] == 20 + 5 * 300
    assert critical_path.critical_path({}, THREE)["seconds"] == 0.0  # no aws profile: nothing to wait for


def test_critical_path_of_a_teardown():
    dev = critical_path.critical_path(DURATIONS, THREE, kind=critical_path.TEARDOWN)
    assert (dev["longest"], dev["seconds"]) == ("Lambda us-east-1", 1800.0)
    assert chains(dev)["Aurora us-east-2"] == 420 + 300
    assert chains(dev)["DynamoDB global table"] == 2 * 180 + 10
    prod = critical_path.critical_path(DURATIONS, THREE, global_database=True, kind=critical_path.TEARDOWN)
    assert chains(prod)["Aurora us-east-1"] == 180 + 420 + 300
    assert critical_path.critical_path(DURATIONS, [], kind=critical_path.TEARDOWN) == {
        "seconds": 0.0, "longest": None, "chains": []}


def test_critical_path_of_one_region_has_no_replica():
    path = critical_path.critical_path(DURATIONS, ["us-east-1"], global_database=True)
    assert chains(path)["DynamoDB global table"] == 20.0
    assert path["seconds"] == 600.0


# ---------------------------------------------------------------------------------------------
# AWS-equivalent time (bench/aws_time.py)
# ---------------------------------------------------------------------------------------------


def timed_run(walls):
    """Task results of a run whose tasks last walls[(task, host)] seconds, one after the other."""
    results, clock = [], 1000.0
    tasks: dict[str, list] = {}
    for (task, host, action), wall in walls.items():
        tasks.setdefault(task, []).append((host, action, wall))
    for i, (task, members) in enumerate(tasks.items()):
        for host, action, wall in members:
            results.append(result(host, action, task=task, uuid=f"u{i}", start=clock, end=clock + wall))
        clock += max(w for _h, _a, w in members)
    return results


def test_aws_equivalent_scales_only_what_waited():
    reference = timed_run({
        ("Net (us-east-1)", "us-east-1", "tap.multiregion.vpc_network"): 1.0,
        ("Net (us-east-1)", "us-east-2", "tap.multiregion.vpc_network"): 1.1,
        ("Cluster (us-east-1)", "us-east-1", "tap.multiregion.aurora_cluster"): 0.5,
        ("Cluster (us-east-1)", "us-east-2", "tap.multiregion.aurora_cluster"): 0.6,
        ("Facts", "us-east-1", "ansible.builtin.set_fact"): 0.1,
        ("Check the emulator at http://127.0.0.1:40001", "localhost", "tap.multiregion.deploy_lock"): 0.2,
    })
    scaled = timed_run({
        ("Net (us-east-1)", "us-east-1", "tap.multiregion.vpc_network"): 1.2,  # noise: not a wait
        ("Net (us-east-1)", "us-east-2", "tap.multiregion.vpc_network"): 1.0,
        ("Cluster (us-east-1)", "us-east-1", "tap.multiregion.aurora_cluster"): 19.5,  # waited 19 s, 1140 AWS s
        ("Cluster (us-east-1)", "us-east-2", "tap.multiregion.aurora_cluster"): 20.6,
        ("Facts", "us-east-1", "ansible.builtin.set_fact"): 1.1,  # no module: never a wait
        ("Check the emulator at http://127.0.0.1:40002", "localhost", "tap.multiregion.deploy_lock"): 2.7,
        ("Only in the scaled run", "us-east-1", "tap.multiregion.kms_key"): 0.5,
    })
    got = aws_time.aws_equivalent(reference, scaled, scaled_seconds=40.0, time_scale=60.0)
    assert [w["task"] for w in got["waits"]] == ["Cluster", "Check the emulator at http://127.0.0.1:40002"]
    cluster = got["waits"][0]
    assert (cluster["reference_s"], cluster["scaled_s"], cluster["excess_s"]) == (0.6, 20.6, 20.0)
    assert cluster["aws_s"] == 1200.0
    assert got["waited_real_s"] == 22.5
    assert got["unscaled_s"] == 17.5
    assert got["waited_aws_s"] == 1350.0
    assert got["aws_s"] == 17.5 + 1350.0  # not 40 x 60: Ansible's own seconds are not scaled
    assert got["unmatched"] == 1


def test_aws_equivalent_of_a_run_that_did_not_wait_is_its_real_time():
    walls = {("Net (us-east-1)", "us-east-1", "tap.multiregion.vpc_network"): 1.0}
    got = aws_time.aws_equivalent(timed_run(walls), timed_run(walls), scaled_seconds=5.0, time_scale=60.0)
    assert (got["aws_s"], got["waits"], got["unmatched"]) == (5.0, [], 0)


AURORA, LAMBDA, DYNAMODB = "tap.multiregion.aurora", "tap.multiregion.lambda_api", "tap.multiregion.dynamodb_global"
START_AURORA = "tap.multiregion.aurora : Start the Aurora cluster aurora-dev-: its creation goes on ({host})"
WAIT_AURORA = "tap.multiregion.aurora : Wait for the Aurora cluster aurora-dev- and its instances ({host})"
START_TABLE = "tap.multiregion.dynamodb_global : Start the DynamoDB global table and its replicas ({host})"
FINISH_TABLE = "tap.multiregion.dynamodb_global : Ensure the DynamoDB global table and its replicas ({host})"
WAITED = [{"what": "cluster aurora-dev-", "seconds": 9.0}]


def sequential_run(tasks, hosts=("us-east-1", "us-east-2")):
    """Task results of a run whose tasks follow each other: tasks = [(name, role, action, wall or {host: wall},
    waits or {host: waits} or "absent", status)]; a task lasts as long as its slowest host."""
    results, clock = [], 1000.0
    for i, (name, role, action, walls, waits, status) in enumerate(tasks):
        walls = walls if isinstance(walls, dict) else {h: walls for h in hosts}
        for host, wall in walls.items():
            row = result(host, action, status=status, role=role, task=name.format(host=host), uuid=f"u{i}",
                         start=clock, end=clock + wall)
            if waits != "absent":
                row["waits"] = waits.get(host) if isinstance(waits, dict) else waits
            results.append(row)
        clock += max(walls.values())
    return results


def aurora_run(wait_wall, waits=tuple(WAITED), lambda_wall=10.0, start_wall=0.5, wait_status="ok"):
    return sequential_run([
        (START_AURORA, AURORA, "tap.multiregion.aurora_cluster", start_wall, [], "ok"),
        ("Ensure function ({host})", LAMBDA, "tap.multiregion.lambda_function", lambda_wall, [], "ok"),
        (WAIT_AURORA, AURORA, "tap.multiregion.aurora_cluster", wait_wall,
         list(waits) if isinstance(waits, tuple) else waits, wait_status),
    ])


def test_an_overlapped_wait_counts_from_its_start_task_on_the_aws_clock():
    # Reference: nothing pending, the finish task is skipped. Scaled: the cluster, started at t0 = 1000.5,
    # is still creating when the finish task starts at 1010.5 and available 9 s later.
    reference = aurora_run(0.1, waits=None, wait_status="skipped")
    scaled = aurora_run(9.1)
    got = aws_time.aws_equivalent(reference, scaled, scaled_seconds=25.0, time_scale=60.0)
    (wait,) = got["waits"]
    assert wait["task"].endswith("Wait for the Aurora cluster aurora-dev- and its instances")
    assert wait["excess_s"] == 9.0
    # S x (t_e - t0 - r) - A(t0, t_w) = 60 x (19.6 - 0.5 - 0.1) - 10, not 60 x 9 = 540
    assert wait["aws_s"] == 1130.0
    assert wait["overlap"] == {"start_task": START_AURORA.format(host="").replace(" ()", ""),
                               "after_real_s": 10.0, "after_aws_s": 10.0, "plain_aws_s": 540.0}
    assert (got["unscaled_s"], got["waited_aws_s"], got["aws_s"]) == (16.0, 1130.0, 1146.0)
    assert got["hidden"] == [] and got["aws_max_s"] == got["aws_s"]


def test_the_same_wait_measured_at_two_time_scales_gives_the_same_aws_time():
    # D = 1140 AWS s from t0, 10 s of work in between: at S = 60 the finish task waits 1140 / 60 - 10 = 9 s,
    # at S = 10 it waits 114 - 10 = 104 s; both are 1130 AWS s of waiting, 1140 - 10.
    reference = aurora_run(0.1, waits=None, wait_status="skipped")
    at_60 = aws_time.aws_equivalent(reference, aurora_run(9.1), 25.0, 60.0)
    at_10 = aws_time.aws_equivalent(reference, aurora_run(104.1), 120.0, 10.0)
    assert at_60["waits"][0]["aws_s"] == at_10["waits"][0]["aws_s"] == 1130.0
    assert at_60["aws_s"] == at_10["aws_s"]


def test_the_aws_clock_between_start_and_finish_counts_the_waits_in_between():
    # The Lambda task waited 1 real s (60 AWS s) between the start and the finish of Aurora: on AWS the region
    # reaches the finish task 10 + 59 AWS s after t0, so Aurora's wait is 59 s shorter than with real time.
    reference = aurora_run(0.1, waits=None, wait_status="skipped", lambda_wall=9.0)
    scaled = aurora_run(9.1, lambda_wall=10.0)
    got = aws_time.aws_equivalent(reference, scaled, scaled_seconds=25.0, time_scale=60.0)
    by_task = {w["action"]: w for w in got["waits"]}
    assert by_task["tap.multiregion.lambda_function"]["aws_s"] == 60.0
    aurora = by_task["tap.multiregion.aurora_cluster"]
    assert aurora["overlap"]["after_aws_s"] == 69.0
    assert aurora["aws_s"] == 60.0 * (19.6 - 0.5 - 0.1) - 69.0


def test_the_largest_host_wait_counts_and_hosts_without_the_start_task_are_left_out():
    hosts = ("us-east-1", "us-east-2", "eu-west-1")
    reference = sequential_run([
        (START_AURORA, AURORA, "tap.multiregion.aurora_cluster", 0.5, [], "ok"),
        (WAIT_AURORA, AURORA, "tap.multiregion.aurora_cluster", 0.1, None, "skipped"),
    ], hosts=hosts)
    scaled = sequential_run([
        (START_AURORA, AURORA, "tap.multiregion.aurora_cluster", {"us-east-1": 0.5, "us-east-2": 0.5, "eu-west-1": 0.1},
         [], "ok"),
        (WAIT_AURORA, AURORA, "tap.multiregion.aurora_cluster", {"us-east-1": 4.1, "us-east-2": 5.1, "eu-west-1": 5.1},
         WAITED, "ok"),
    ], hosts=hosts)
    # eu-west-1 started nothing (a secondary skips the start task): counted from its skipped start task's end it
    # would wait 60 x (5.5 - 0.1) - 0.4 = 323.6 s
    scaled[2]["status"] = "skipped"
    got = aws_time.aws_equivalent(reference, scaled, 6.0, 60.0)
    # us-east-2: 60 x (5.6 - 0.5 - 0.1) - 0 = 300 = the plain value (nothing in between): no overlap correction
    assert [(w["aws_s"], w["overlap"]) for w in got["waits"]] == [(300.0, None)]


def test_a_wait_the_time_scale_hid_is_counted_zero_with_its_bound():
    # The cluster was available before the finish task looked (the module reported no wait): its 0.4 s of
    # calls are not a wait, and the AWS wait is anywhere between 0 and S x 10 - 10 = 590 s.
    reference = aurora_run(0.1, waits=None, wait_status="skipped")
    scaled = aurora_run(0.5, waits=[])
    got = aws_time.aws_equivalent(reference, scaled, scaled_seconds=12.0, time_scale=60.0)
    assert got["waits"] == []
    assert got["aws_s"] == 12.0
    (hidden,) = got["hidden"]
    assert (hidden["after_real_s"], hidden["bound_aws_s"]) == (10.0, 590.0)
    assert got["aws_max_s"] == 602.0


def test_a_trace_without_the_modules_waits_falls_back_to_the_threshold():
    reference = aurora_run(0.1, waits=None, wait_status="skipped")
    waited = aws_time.aws_equivalent(reference, aurora_run(9.1, waits="absent"), 25.0, 60.0)
    assert waited["waits"][0]["aws_s"] == 1130.0
    hid = aws_time.aws_equivalent(reference, aurora_run(0.2, waits="absent"), 11.0, 60.0)
    assert hid["waits"] == [] and hid["hidden"][0]["bound_aws_s"] == 590.0


def test_a_hidden_wait_after_a_longer_overlapped_wait_is_bounded_by_zero():
    # dev's order: the table's last replica is started after the cluster and finished after Aurora's wait,
    # which took longer on the AWS clock than the replica could have (it was over before the finish task).
    tasks = [
        (START_AURORA, AURORA, "tap.multiregion.aurora_cluster", 0.5, [], "ok"),
        (START_TABLE, DYNAMODB, "tap.multiregion.dynamodb_global_table", 1.0, [], "ok"),
        ("Ensure function ({host})", LAMBDA, "tap.multiregion.lambda_function", 8.0, [], "ok"),
    ]
    reference = sequential_run(tasks + [
        (WAIT_AURORA, AURORA, "tap.multiregion.aurora_cluster", 0.1, None, "skipped"),
        (FINISH_TABLE, DYNAMODB, "tap.multiregion.dynamodb_global_table", 0.1, None, "skipped")])
    scaled = sequential_run(tasks + [
        (WAIT_AURORA, AURORA, "tap.multiregion.aurora_cluster", 10.1, WAITED, "ok"),
        (FINISH_TABLE, DYNAMODB, "tap.multiregion.dynamodb_global_table", 0.4, [], "ok")])
    got = aws_time.aws_equivalent(reference, scaled, 21.0, 60.0)
    assert [w["action"] for w in got["waits"]] == ["tap.multiregion.aurora_cluster"]
    assert got["waits"][0]["aws_s"] == 60.0 * (19.6 - 0.5 - 0.1) - 9.0
    (hidden,) = got["hidden"]
    assert hidden["task"].endswith("Ensure the DynamoDB global table and its replicas")
    # the replica took at most 60 x 18.1 AWS s from t0; the AWS clock ran 8 + 1131 + (the wait's own 0.1) past it
    assert hidden["bound_aws_s"] == 0.0
    assert got["aws_max_s"] == got["aws_s"]


def test_the_longest_run_counts_each_hidden_wait_at_its_bound_on_the_aws_clock():
    # Both finish tasks found their transition done. Alone, Aurora's wait is at most 60 x 9 - 9 = 531 s and the
    # replica's 60 x 8.3 - 8.3 = 489.7 s; but with Aurora's 531 s in between, the replica's can be 0 at most.
    tasks = [
        (START_AURORA, AURORA, "tap.multiregion.aurora_cluster", 0.5, [], "ok"),
        (START_TABLE, DYNAMODB, "tap.multiregion.dynamodb_global_table", 1.0, [], "ok"),
        ("Ensure function ({host})", LAMBDA, "tap.multiregion.lambda_function", 8.0, [], "ok"),
    ]
    reference = sequential_run(tasks + [
        (WAIT_AURORA, AURORA, "tap.multiregion.aurora_cluster", 0.1, None, "skipped"),
        (FINISH_TABLE, DYNAMODB, "tap.multiregion.dynamodb_global_table", 0.1, None, "skipped")])
    scaled = sequential_run(tasks + [
        (WAIT_AURORA, AURORA, "tap.multiregion.aurora_cluster", 0.3, [], "ok"),
        (FINISH_TABLE, DYNAMODB, "tap.multiregion.dynamodb_global_table", 0.4, [], "ok")])
    got = aws_time.aws_equivalent(reference, scaled, 11.0, 60.0)
    assert (got["waits"], got["aws_s"]) == ([], 11.0)
    assert [h["bound_aws_s"] for h in got["hidden"]] == [531.0, 489.7]
    assert got["aws_max_s"] == 11.0 + 531.0


def test_a_finish_task_without_a_start_task_is_a_plain_wait():
    tasks = [("Ensure function ({host})", LAMBDA, "tap.multiregion.lambda_function", 8.0, [], "ok")]
    reference = sequential_run(tasks + [(FINISH_TABLE, DYNAMODB, "tap.multiregion.dynamodb_global_table", 1.0,
                                         [], "ok")])
    scaled = sequential_run(tasks + [(FINISH_TABLE, DYNAMODB, "tap.multiregion.dynamodb_global_table", 11.0,
                                      [{"what": "replicas", "seconds": 10.0}], "ok")])
    got = aws_time.aws_equivalent(reference, scaled, 20.0, 60.0)
    assert [(w["aws_s"], w["overlap"]) for w in got["waits"]] == [(600.0, None)]


def test_overlap_pairs_match_the_roles_task_names():
    wall = {"role": AURORA, "task": WAIT_AURORA.format(host="us-east-1")}
    assert aws_time.overlap_pair(wall) == ("aurora", r"Start the Aurora cluster ")
    assert aws_time.overlap_pair(dict(wall, role=LAMBDA)) is None
    expected = ("dynamodb_global", r"Start the DynamoDB global table")
    assert aws_time.overlap_pair({"role": DYNAMODB, "task": FINISH_TABLE}) == expected


def test_task_keys_ignore_what_differs_from_run_to_run():
    assert aws_time.task_key("p", "Write s3://b/deployments/dev/20261204T155529Z-79c5fdf3970b.json") == \
        aws_time.task_key("p", "Write s3://b/deployments/dev/20261204T161207Z-c0b402c6da4b.json")
    name = "Ensure the Aurora cluster aurora-dev-"
    assert aws_time.task_key("p", name) == ("p", name)
    walls = aws_time.keyed_task_walls([
        result("us-east-1", "tap.multiregion.kms_key", task="Key", uuid="a", start=0, end=1),
        result("us-east-1", "tap.multiregion.kms_key", task="Key", uuid="b", start=1, end=3),
    ])
    assert [(k[1], k[2], v["wall_s"]) for k, v in walls.items()] == [("Key", 0, 1.0), ("Key", 1, 2.0)]


# ---------------------------------------------------------------------------------------------
# Targets and report of the aws-profile part (bench/aws_report.py)
# ---------------------------------------------------------------------------------------------


def aws_part(noop_0=6.0, noop_150=8.0, dev_ratio=1.1, prod_ratio=1.15, reads_per_resource=1.1, cold=1, warm=0,
             workers=50):
    def timed(ratio):
        return {"converge": {"ratio": ratio, "aws_s": ratio * 1140.0, "critical_path": {"seconds": 1140.0}}}

    return {
        "latency": {"by_latency": {"0": {"noop_s": noop_0}, "60": {"noop_s": 7.0},
                                   "150": {"noop_s": noop_150, "reads_per_resource": reads_per_resource}}},
        "timed": {"dev": timed(dev_ratio), "prod": timed(prod_ratio)},
        "credentials": {"accounts": 1, "cold": {"assume_role": cold, "workers": workers, "rc": 0},
                        "warm": {"assume_role": warm, "workers": workers, "rc": 0}},
    }


BASELINE = {"source": "commit abc", "figures": {"first_s": 9.0, "noop_s": 6.5, "check_s": 6.1,
                                                "noop_ansible_cpu_s": 8.8, "reads_per_resource": 1.64}}
ZERO = {"first_s": 9.5, "noop_s": 6.0, "check_s": 6.1, "noop_ansible_cpu_s": 9.0, "reads_per_resource": 1.64}


def test_aws_targets_all_met():
    rows = aws_report.evaluate_aws_targets(aws_part(), ZERO, BASELINE)
    assert all(r["passed"] is True for r in rows), [r for r in rows if not r["passed"]]
    t = by_target(rows)
    assert t["no-op, 3 regions: 150 ms per call / 0 ms"]["value"] == 1.33
    cold = t["credential resolutions (STS AssumeRole) in a no-op run, empty credential cache"]
    assert (cold["value"], cold["limit"]) == (1, 50)
    assert t["zero latency, 3 regions, first converge s: this run / baseline"]["value"] == 1.06


def test_aws_targets_not_met():
    part = aws_part(noop_0=6.5, noop_150=22.8, dev_ratio=2.06, prod_ratio=1.21, reads_per_resource=1.64, cold=60)
    t = by_target(aws_report.evaluate_aws_targets(part, dict(ZERO, noop_s=7.2), BASELINE))
    latency = t["no-op, 3 regions: 150 ms per call / 0 ms"]
    assert (latency["value"], latency["passed"]) == (3.51, False)
    assert t["first converge dev (3 regions): AWS-equivalent / critical path"]["passed"] is False
    assert t["first converge prod (3 regions): AWS-equivalent / critical path"]["passed"] is False
    assert t["no-op read calls per managed resource (worst region, aws profile)"]["passed"] is False
    assert t["credential resolutions (STS AssumeRole) in a no-op run, empty credential cache"]["passed"] is False
    noop = t["zero latency, 3 regions, no-op s: this run / baseline"]
    assert (noop["value"], noop["passed"]) == (1.11, False)


def test_a_converge_shorter_than_its_critical_path_is_not_counted_as_met():
    # Possible only when the time scale hid waits under Ansible's real-time work.
    converge = by_target(aws_report.evaluate_aws_targets(aws_part(dev_ratio=0.38), ZERO, BASELINE))[
        "first converge dev (3 regions): AWS-equivalent / critical path"]
    assert converge["value"] == 0.38
    assert converge["passed"] is None
    assert "below the critical path" in converge["detail"]


def test_a_converge_with_a_hidden_wait_is_a_lower_bound():
    part = aws_part(dev_ratio=1.1, prod_ratio=1.1)
    part["timed"]["dev"]["converge"]["aws_max_s"] = 1.5 * 1140.0  # could be over the limit: not measured
    part["timed"]["prod"]["converge"]["aws_max_s"] = 1.15 * 1140.0  # within the limit either way
    t = by_target(aws_report.evaluate_aws_targets(part, ZERO, BASELINE))
    dev = t["first converge dev (3 regions): AWS-equivalent / critical path"]
    prod = t["first converge prod (3 regions): AWS-equivalent / critical path"]
    assert (dev["value"], dev["passed"]) == (1.1, None)
    assert "up to 28.5 min, x1.50: waits hidden" in dev["detail"]
    assert prod["passed"] is True and "x1.15" in prod["detail"]
    part["timed"]["dev"]["converge"].update(ratio=1.3, aws_s=1.3 * 1140.0)
    assert by_target(aws_report.evaluate_aws_targets(part, ZERO, BASELINE))[
        "first converge dev (3 regions): AWS-equivalent / critical path"]["passed"] is False


def test_aws_targets_limits_are_inclusive_and_missing_data_is_none():
    t = by_target(aws_report.evaluate_aws_targets(aws_part(noop_0=4.0, noop_150=6.0, dev_ratio=1.2), ZERO, BASELINE))
    assert t["no-op, 3 regions: 150 ms per call / 0 ms"]["passed"] is True
    assert t["first converge dev (3 regions): AWS-equivalent / critical path"]["passed"] is True
    rows = aws_report.evaluate_aws_targets({}, None, None)
    assert rows and all(r["passed"] is None for r in rows)
    failed = aws_part()
    failed["timed"]["prod"] = {"converge": {"missing": "scaled run", "critical_path": {"seconds": 2580.0}}}
    prod = by_target(aws_report.evaluate_aws_targets(failed))["first converge prod (3 regions): AWS-equivalent / "
                                                              "critical path"]
    assert (prod["passed"], prod["detail"]) == (None, "scaled run")


def test_zero_latency_figures_from_the_suite_summary():
    summary = {"first_s": 9.0, "noop_s": 6.5, "check_s": 6.1, "noop_ansible_cpu_s": 8.8,
               "per_region": {"us-east-1": {"reads_per_resource": 1.64}, "us-east-2": {"reads_per_resource": 1.6}}}
    assert aws_report.zero_latency_figures(summary) == {
        "first_s": 9.0, "noop_s": 6.5, "check_s": 6.1, "noop_ansible_cpu_s": 8.8, "reads_per_resource": 1.64}
    assert aws_report.zero_latency_figures({})["reads_per_resource"] is None


def test_render_aws_markdown_smoke():
    part = aws_part()
    part["settings"] = {"time_scale": 60.0, "timed_latency_ms": 60, "jitter": 0.2, "regions": THREE,
                        "modules_honour_poll_setting": False}
    part["latency"].update(regions=3, rounds=1)
    part["timed"]["dev"]["converge"].update(real_s=90.0, reference_s=54.0, waited_real_s=38.4, unscaled_s=51.6,
                                            waits=[{"task": "Ensure the Aurora cluster", "reference_s": 1.9,
                                                    "scaled_s": 21.8, "aws_s": 1193.0}])
    part["timed"]["dev"]["converge"]["critical_path"] = critical_path.critical_path(DURATIONS, THREE)
    rows = aws_report.evaluate_aws_targets(part, ZERO, BASELINE)
    text = "\n".join(aws_report.render_aws_markdown(part, rows, BASELINE))
    assert "| 150 | 8.0 | 1.33 |" in text
    assert "| dev first converge | 90.0 | 54.0 | 38.4 | 51.6 | 20.9 | 10.3 | DynamoDB global table | 1.10 |" in text
    assert "| Ensure the Aurora cluster | 1.90 | 21.80 | 19.9 |  |" in text
    part["timed"]["prod"]["converge"].update(
        real_s=120.0, reference_s=60.0, waits=[{
            "task": "tap.multiregion.aurora : Wait for the Aurora cluster", "reference_s": 0.1, "scaled_s": 9.1,
            "aws_s": 1130.0, "overlap": {"start_task": "tap.multiregion.aurora : Start the Aurora cluster",
                                         "after_real_s": 10.0, "after_aws_s": 10.0, "plain_aws_s": 540.0}}],
        hidden=[{"task": "tap.multiregion.dynamodb_global : Ensure the DynamoDB global table",
                 "start_task": "tap.multiregion.dynamodb_global : Start the DynamoDB global table",
                 "after_real_s": 7.5, "after_aws_s": 12.0, "bound_aws_s": 60.0}])
    text = "\n".join(aws_report.render_aws_markdown(part, rows, BASELINE))
    assert ("| tap.multiregion.aurora : Wait for the Aurora cluster | 0.10 | 9.10 | 18.8 "
            "| Start the Aurora cluster, 10.0 / 10, 9.0 |") in text
    assert ("Hidden wait of the prod first converge: tap.multiregion.dynamodb_global : Ensure the DynamoDB global "
            "table found done what Start the DynamoDB global table started 7.5 real s (12 AWS s) before; counted 0, "
            "at most 1.0 AWS min") in text
    assert "do not read TAP_WAIT_POLL_SECONDS" in text
    assert aws_report.render_aws_markdown({}, []) == []


# ---------------------------------------------------------------------------------------------
# Figures of the aws-profile runs (the pure helpers of bench/aws_suite.py)
# ---------------------------------------------------------------------------------------------

FAILED_OUTPUT = """TASK [tap.multiregion.aurora : Delete the Aurora cluster aurora-prod-us-east-1] ***
fatal: [us-east-1]: FAILED! =>
    boto3_version: 1.44.8
    changed: false
    msg: 'Failed to lift the deletion protection of aurora-prod-us-east-1: An error occurred
        (InvalidDBClusterStateFault) when calling the ModifyDBCluster operation: DB cluster is
        not available for modification with status promoting'
    response_metadata:
        http_status_code: 400
"""


def test_first_failure_is_the_failed_task_message():
    assert aws_suite.first_failure(FAILED_OUTPUT) == (
        "'Failed to lift the deletion protection of aurora-prod-us-east-1: An error occurred "
        "(InvalidDBClusterStateFault) when calling the ModifyDBCluster operation: DB cluster is "
        "not available for modification with status promoting';")
    assert aws_suite.first_failure(FAILED_OUTPUT, limit=20) == "'Failed to lift the ...;"
    assert aws_suite.first_failure("    msg: a message without a failed task\n") == ""


def test_poll_interval_follows_the_time_scale():
    assert aws_suite.poll_env(60.0) == {"TAP_WAIT_POLL_SECONDS": "0.1667"}  # 10 AWS seconds
    assert aws_suite.poll_env(aws_suite.INSTANT_TIME_SCALE) == {"TAP_WAIT_POLL_SECONDS": "0.0500"}
    settings = aws_suite.aws_settings(150, 60)
    assert (settings["name"], settings["latency_ms"], settings["time_scale"]) == ("aws", 150.0, 60.0)
    assert settings["durations"]["iam.role.propagation"] == 0.0
    assert aws_suite.durations_of(settings)["rds.cluster.create"] > 0


def call_run(seconds, reads, changed=0, rc=0):
    return {"seconds": seconds, "rc": rc, "changed": changed, "ansible_cpu_s": 10.0, "reads": reads,
            "writes": {r: 0 for r in reads}, "data_writes": {r: 0 for r in reads}}


def test_summarize_latency_takes_medians_of_successful_runs():
    samples = [
        {"noop": call_run(20.0, {"us-east-1": 95, "us-east-2": 92}), "check": call_run(19.0, {"us-east-1": 95})},
        {"noop": call_run(24.0, {"us-east-1": 95, "us-east-2": 92}), "check": call_run(21.0, {"us-east-1": 95})},
        {"noop": call_run(99.0, {"us-east-1": 1}, rc=2), "check": call_run(23.0, {"us-east-1": 95}, changed=1)},
    ]
    got = aws_suite.summarize_latency(samples, {"us-east-1": 58, "us-east-2": 56})
    assert (got["runs"], got["noop_s"], got["check_s"]) == (3, 22.0, 21.0)
    assert (got["noop_changed"], got["check_changed"]) == (0, 1)
    assert got["reads"] == {"us-east-1": 95, "us-east-2": 92}
    assert got["reads_per_resource"] == 1.64
    assert aws_suite.summarize_latency([], {})["noop_s"] is None


def test_timed_figures_of_passed_failed_and_missing_runs():
    reference = {"seconds": 25.0, "rc": 0, "results": timed_run(
        {("Cluster (us-east-1)", "us-east-1", "tap.multiregion.aurora_cluster"): 1.0})}
    scaled = {"seconds": 45.0, "rc": 0, "stdout": "", "results": timed_run(
        {("Cluster (us-east-1)", "us-east-1", "tap.multiregion.aurora_cluster"): 20.0})}
    got = aws_suite.timed_figures(reference, scaled, 60.0, DURATIONS, THREE, False, critical_path.CONVERGE)
    assert (got["aws_s"], got["critical_path"]["seconds"], got["ratio"]) == (26.0 + 19 * 60, 620.0, 1.88)
    failed = aws_suite.timed_figures(reference, dict(scaled, rc=2, stdout=FAILED_OUTPUT), 60.0, DURATIONS, THREE,
                                     True, critical_path.TEARDOWN)
    assert "ratio" not in failed and failed["aws_s"] == got["aws_s"]
    assert failed["failed"].startswith("'Failed to lift the deletion protection")
    missing = aws_suite.timed_figures(None, None, 60.0, DURATIONS, THREE, False, critical_path.CONVERGE)
    assert missing["missing"] == "reference" and "aws_s" not in missing
