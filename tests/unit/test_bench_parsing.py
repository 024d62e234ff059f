"""The pure parts of the benchmark (bench/analysis.py): request classification, trace parsing, medians, targets."""

from __future__ import annotations

import base64
import datetime
import json

import pytest

from bench import analysis


def entry(service, region, method="POST", url="http://127.0.0.1:5000/", target=None, body="", encoded=True,
          date="20261125T140000Z"):
    headers = {
        "Authorization": f"AWS4-HMAC-SHA256 Credential=tap-emulator/20261125/{region}/{service}/aws4_request, "
                         "SignedHeaders=host;x-amz-date, Signature=abc",
        "X-Amz-Date": date,
    }
    if target:
        headers["X-Amz-Target"] = target
    if body and not target:
        headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    return {
        "headers": headers,
        "method": method,
        "url": url,
        "body": base64.b64encode(body.encode()).decode() if encoded and body else body,
        "body_encoded": bool(encoded and body),
    }


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
    call = analysis.parse_request(entry("ec2", "eu-west-1", body="Action=DescribeSubnets&Version=2016-11-15"))
    assert call["service"] == "ec2"
    assert call["region"] == "eu-west-1"
    assert call["operation"] == "DescribeSubnets"
    assert call["kind"] == "read"
    assert call["label"] == "ec2:DescribeSubnets"
    assert call["time"] == datetime.datetime(2026, 11, 25, 14, 0, tzinfo=datetime.UTC).timestamp()


def test_query_protocol_plain_body_and_write():
    call = analysis.parse_request(entry("iam", "us-east-1", body="Action=AttachRolePolicy&RoleName=x", encoded=False))
    assert (call["operation"], call["kind"]) == ("AttachRolePolicy", "write")


def test_json_protocol_operation_from_the_target_header():
    call = analysis.parse_request(entry("logs", "us-east-2", target="Logs_20140328.PutRetentionPolicy", body="{}"))
    assert (call["operation"], call["kind"], call["region"]) == ("PutRetentionPolicy", "write", "us-east-2")
    read = analysis.parse_request(entry("kms", "us-east-2", target="TrentService.GetKeyPolicy", body="{}"))
    assert read["kind"] == "read"


def test_rest_services_by_http_method():
    get = analysis.parse_request(entry("lambda", "us-east-1", "GET",
                                       "http://h/2015-03-31/functions/data-processor-dev-us-east-1/policy"))
    assert get["operation"] is None
    assert get["kind"] == "read"
    assert get["label"] == "lambda:GET /2015-03-31/functions/{}/policy"
    put = analysis.parse_request(entry("s3", "eu-west-1", "PUT", "http://h/tap-data-dev-eu-west-1?encryption"))
    assert (put["kind"], put["label"]) == ("write", "s3:PUT bucket?encryption")
    head = analysis.parse_request(entry("s3", "eu-west-1", "HEAD", "http://h/tap-data-dev-eu-west-1"))
    assert (head["kind"], head["label"]) == ("read", "s3:HEAD bucket")
    obj = analysis.parse_request(entry("s3", "us-east-1", "PUT", "http://h/bucket/deployments/dev/x.json"))
    assert obj["label"] == "s3:PUT object"
    api = analysis.parse_request(entry("apigateway", "us-east-1", "POST", "http://h/v2/apis/abc123/routes"))
    assert (api["kind"], api["label"]) == ("write", "apigateway:POST /v2/apis/{}/routes")


def test_unsigned_requests_are_not_aws_calls():
    assert analysis.parse_request({"headers": {}, "method": "GET", "url": "http://h/moto-api/"}) is None


def test_parse_recording_and_calls_by_region():
    lines = [
        entry("ec2", "us-east-1", body="Action=DescribeVpcs"),
        entry("ec2", "us-east-1", body="Action=DescribeSubnets"),
        entry("ec2", "us-east-2", body="Action=CreateTags"),
        entry("dynamodb", "us-east-1", target="DynamoDB_20120810.PutItem", body="{}"),
        entry("s3", "us-east-2", "GET", "http://h/b?policy"),
        {"headers": {}, "method": "GET", "url": "http://h/moto-api/"},
    ]
    text = "\n".join(json.dumps(e) for e in lines) + "\nnot json\n"
    calls = analysis.parse_recording(text)
    assert len(calls) == 5
    by_region = analysis.calls_by_region(calls)
    assert list(by_region) == ["us-east-1", "us-east-2"]
    east1, east2 = by_region["us-east-1"], by_region["us-east-2"]
    assert (east1["read"], east1["write"], east1["data_write"]) == (2, 1, 1)
    assert east1["writes"] == {"dynamodb:PutItem": 1}
    assert (east2["read"], east2["write"], east2["data_write"]) == (1, 1, 0)
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
