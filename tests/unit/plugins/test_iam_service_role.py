"""iam_service_role against the emulator (run in-process through run_module)."""

from __future__ import annotations

import json

import botocore.client
import pytest
from botocore.exceptions import ClientError

from ansible_collections.tap.multiregion.plugins.module_utils import policies
from ansible_collections.tap.multiregion.plugins.module_utils.resources import service_role
from ansible_collections.tap.multiregion.plugins.modules import iam_service_role as module
from lambda_api_support import CallRecorder

ACCOUNT = "123456789012"
BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
VPC = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
TAGS = {"Environment": "test", "Region": "us-east-1", "CostCenter": "cc-1", "ManagedBy": "ansible", "Project": "tap"}


@pytest.fixture
def calls(monkeypatch):
    return CallRecorder().install(monkeypatch)


def trust(account=ACCOUNT):
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }
        ],
    }


def inline(bucket="isr-bucket"):
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Objects",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": "arn:aws:s3:::%s/*" % bucket,
            },
            {
                "Sid": "Failures",
                "Effect": "Allow",
                "Action": "sqs:SendMessage",
                "Resource": "arn:aws:sqs:us-east-1:%s:failures" % ACCOUNT,
            },
        ],
    }


def args(name, **overrides):
    result = {
        "name": name,
        "description": "execution role %s" % name,
        "trust_policy": trust(),
        "managed_policy_arns": [BASIC, VPC],
        "inline_policy_name": "data-processor",
        "inline_policy": inline(),
        "tags": TAGS,
    }
    result.update(overrides)
    return result


def role_state(aws, name):
    iam = aws("iam")
    role = iam.get_role(RoleName=name)["Role"]
    attached = sorted(a["PolicyArn"] for a in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"])
    names = iam.list_role_policies(RoleName=name)["PolicyNames"]
    documents = {n: iam.get_role_policy(RoleName=name, PolicyName=n)["PolicyDocument"] for n in names}
    tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name)["Tags"]}
    return role, attached, documents, tags


def test_create_then_rerun_makes_no_write_call(run_module, aws, calls):
    name = "isr-create"
    first = run_module(module.main, args(name), diff=True)
    assert first["changed"] is True, first
    assert first["changes"][0] == "create role %s" % name
    assert first["arn"] == "arn:aws:iam::%s:role/%s" % (ACCOUNT, name)
    assert first["diff"]["before"] is None
    role, attached, documents, tags = role_state(aws, name)
    assert policies.load_policy(role["AssumeRolePolicyDocument"]) == trust()
    assert attached == [BASIC, VPC]
    assert {n: policies.load_policy(d) for n, d in documents.items()} == {"data-processor": inline()}
    assert tags == TAGS and role["Description"] == "execution role %s" % name

    calls.clear()
    second = run_module(module.main, args(name), diff=True)
    assert second["changed"] is False, second["changes"]
    assert [c for c in calls.writes() if c[0] == "iam"] == []
    assert second["diff"]["before"] == second["diff"]["after"]
    assert second["managed_policy_arns"] == [BASIC, VPC]
    assert second["role"]["tags"] == TAGS


def test_policies_compare_as_documents(run_module, aws):
    """Reordered statements, a single action as a list and a string document are the same policy."""
    name = "isr-equivalent"
    run_module(module.main, args(name))
    reordered = inline()
    reordered["Statement"].reverse()
    reordered["Statement"][0]["Action"] = ["sqs:SendMessage"]
    result = run_module(module.main, args(name, inline_policy=json.dumps(reordered), trust_policy=json.dumps(trust())))
    assert result["changed"] is False, result["changes"]


def test_check_mode_reports_and_writes_nothing(run_module, aws, calls):
    name = "isr-check"
    preview = run_module(module.main, args(name), check_mode=True)
    assert preview["changed"] is True and preview["arn"] is None
    assert calls.writes() == []
    with pytest.raises(ClientError):
        aws("iam").get_role(RoleName=name)

    run_module(module.main, args(name))
    calls.clear()
    preview = run_module(module.main, args(name, inline_policy=inline("other-bucket")), check_mode=True, diff=True)
    assert preview["changes"] == [
        "role %s: inline policy data-processor statements changed Objects" % name
    ]
    assert preview["diff"]["after"]["inline_policies"]["data-processor"] == inline("other-bucket")
    assert calls.writes() == []


def test_drift_is_repaired(run_module, aws):
    name = "isr-drift"
    run_module(module.main, args(name))
    iam = aws("iam")
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust("999999999999")))
    iam.detach_role_policy(RoleName=name, PolicyArn=VPC)
    stray_policy = iam.create_policy(PolicyName="isr-drift-stray", PolicyDocument=json.dumps(inline("z")))["Policy"]
    iam.attach_role_policy(RoleName=name, PolicyArn=stray_policy["Arn"])
    iam.put_role_policy(RoleName=name, PolicyName="data-processor", PolicyDocument=json.dumps(inline("x")))
    iam.put_role_policy(RoleName=name, PolicyName="stray", PolicyDocument=json.dumps(inline("y")))
    iam.untag_role(RoleName=name, TagKeys=["CostCenter"])
    iam.tag_role(RoleName=name, Tags=[{"Key": "Stray", "Value": "1"}])
    iam.update_role(RoleName=name, Description="changed by hand")

    repaired = run_module(module.main, args(name), diff=True)
    assert repaired["changed"] is True
    assert sorted(repaired["changes"]) == sorted(
        [
            "role %s: trust policy statements changed #0" % name,
            "role %s: description changed by hand -> execution role %s" % (name, name),
            "role %s: remove tags Stray" % name,
            "role %s: tags CostCenter=cc-1" % name,
            "role %s: detach managed policy %s" % (name, stray_policy["Arn"]),
            "role %s: attach managed policy %s" % (name, VPC),
            "role %s: inline policy data-processor statements changed Objects" % name,
            "role %s: delete inline policy stray" % name,
        ]
    )
    assert repaired["diff"]["before"]["trust_policy"] == trust("999999999999")
    role, attached, documents, tags = role_state(aws, name)
    assert policies.load_policy(role["AssumeRolePolicyDocument"]) == trust()
    assert attached == [BASIC, VPC]
    assert {n: policies.load_policy(d) for n, d in documents.items()} == {"data-processor": inline()}
    assert tags == TAGS
    assert run_module(module.main, args(name))["changed"] is False


def test_wildcard_actions_are_refused(run_module, calls):
    too_broad = inline()
    too_broad["Statement"].append({"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"})
    too_broad["Statement"].append({"Effect": "Allow", "NotAction": "iam:PassRole", "Resource": "*"})
    result = run_module(module.main, args("isr-wildcard", inline_policy=too_broad))
    assert result["failed"] is True
    assert "wildcard action 'dynamodb:*'" in result["msg"] and "NotAction" in result["msg"]
    assert calls.calls == []
    # A Deny statement may use wildcards.
    deny = inline()
    condition = {"Bool": {"aws:SecureTransport": "false"}}
    deny["Statement"].append({"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": condition})
    assert policies.wildcard_actions(deny) == []


def test_state_absent_deletes_the_role(run_module, aws):
    name = "isr-absent"
    run_module(module.main, args(name))
    iam = aws("iam")
    iam.create_instance_profile(InstanceProfileName="isr-absent-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="isr-absent-profile", RoleName=name)
    preview = run_module(module.main, {"name": name, "state": "absent"}, check_mode=True)
    assert preview["changed"] is True
    iam.get_role(RoleName=name)

    result = run_module(module.main, {"name": name, "state": "absent"})
    assert result["changed"] is True
    assert "role %s: leave instance profile isr-absent-profile" % name in result["changes"]
    with pytest.raises(ClientError):
        iam.get_role(RoleName=name)
    assert run_module(module.main, {"name": name, "state": "absent"})["changed"] is False


def test_throttling_is_retried_once(run_module, aws, monkeypatch):
    name = "isr-throttle"
    original = botocore.client.BaseClient._make_api_call
    seen = []

    def throttle_first_get_role(client, operation_name, api_params):
        if operation_name == "GetRole":
            seen.append(operation_name)
            if len(seen) == 1:
                raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, operation_name)
        return original(client, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", throttle_first_get_role)
    monkeypatch.setattr("ansible_collections.amazon.aws.plugins.module_utils.cloud.time.sleep", lambda _: None)
    result = run_module(module.main, args(name))
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert seen == ["GetRole", "GetRole"]
    assert aws("iam").get_role(RoleName=name)["Role"]["RoleName"] == name


def test_url_encoded_documents_are_read():
    encoded = "%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22Statement%22%3A%20%5B%5D%7D"
    assert policies.load_policy(encoded) == {"Version": "2012-10-17", "Statement": []}
    assert service_role.attachment_changes([BASIC, "x"], [BASIC, VPC]) == ([VPC], ["x"])
    assert service_role.attachment_changes([BASIC, "x"], [BASIC, VPC], purge=False) == ([VPC], [])
