"""The shared resource helpers (module_utils/resources/): log groups, service roles, queues and RDS event
subscriptions, each made in one place for every module, against the emulator."""

from __future__ import annotations

import json

import pytest

from ansible_collections.tap.multiregion.plugins.module_utils import base, clients
from ansible_collections.tap.multiregion.plugins.module_utils.resources import (
    event_subscription,
    log_group,
    queue,
    service_role,
)
from support import FAKE_CREDENTIALS

REGION = "ca-central-1"
TAGS = {"Environment": "test", "CostCenter": "cc"}


class Module:
    """What AwsResource needs of an AnsibleAWSModule: params (connection options), check mode, region."""

    def __init__(self, url, check_mode=False):
        self.params = {
            "region": REGION,
            "endpoint_url": url,
            "access_key": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "secret_key": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            "validate_certs": True,
            "purge_tags": True,
        }
        self.check_mode = check_mode
        self._diff = False
        self.region = REGION


@pytest.fixture
def owner(emulator_url):
    def make(check_mode=False):
        return base.AwsResource(Module(emulator_url, check_mode))

    yield make
    clients.forget()


def test_log_group_created_converged_and_deleted(owner, aws):
    logs = aws("logs", REGION)
    key = aws("kms", REGION).create_key()["KeyMetadata"]["Arn"]
    name = "/tap/test/shared-log-group"
    preview = owner(check_mode=True)
    assert log_group.ensure(preview, name, 14, key, TAGS)[0] is None
    assert preview.changes == ["create log group %s" % name, "log group %s: retention days none -> 14" % name]
    assert logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] == []

    first = owner()
    before, after, arn = log_group.ensure(first, name, 14, key, TAGS)
    assert before is None and after["retention_days"] == 14 and arn.endswith(":log-group:%s" % name)
    again = owner()
    before, after, _arn = log_group.ensure(again, name, 14, key, TAGS)
    assert again.changes == [] and before == after

    logs.put_retention_policy(logGroupName=name, retentionInDays=3)
    logs.untag_log_group(logGroupName=name, tags=["CostCenter"])
    repaired = owner()
    log_group.ensure(repaired, name, 14, key, TAGS)
    assert repaired.changes == [
        "log group %s: retention days 3 -> 14" % name,
        "log group %s: tags CostCenter=cc" % name,
    ]
    assert log_group.check_retention(name, 13).startswith("retention of log group %s: 13 days" % name)
    gone = owner()
    assert log_group.delete(gone, name) is True and gone.changes == ["delete log group %s" % name]
    assert log_group.delete(owner(), name) is False


def test_service_role_created_repaired_and_deleted(owner, aws):
    iam = aws("iam", REGION)
    name = "tap-shared-role-test"
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                       "Action": "sts:AssumeRole"}],
    }  # fmt: skip
    delivery = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Deliver", "Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": "*"}],
    }
    created = service_role.ensure(owner(), name, trust, inline_policies={"delivery": delivery}, tags=TAGS)
    assert created["created"] is True and created["arn"].endswith(":role/%s" % name)
    unchanged = owner()
    result = service_role.ensure(unchanged, name, trust, inline_policies={"delivery": delivery}, tags=TAGS)
    assert unchanged.changes == [] and result["created"] is False

    drifted = dict(delivery, Statement=[dict(delivery["Statement"][0], Sid="Other")])
    iam.put_role_policy(RoleName=name, PolicyName="delivery", PolicyDocument=json.dumps(drifted))
    repaired = owner()
    service_role.ensure(repaired, name, trust, inline_policies={"delivery": delivery}, tags=TAGS)
    assert repaired.changes == ["role %s: inline policy delivery statements added Deliver; removed Other" % name]

    with pytest.raises(base.Failure, match="wildcard action 'logs:\\*'"):
        service_role.check_policies(trust, {"p": {"Statement": [{"Effect": "Allow", "Action": "logs:*"}]}})
    gone = owner()
    assert service_role.delete(gone, name) == created["arn"]
    assert gone.changes == ["role %s: delete inline policy delivery" % name, "delete role %s" % name]
    assert service_role.delete(owner(), name) is None


def test_queue_created_converged_and_deleted(owner):
    name = "tap-shared-queue-test"
    attributes = {"MessageRetentionPeriod": "1209600"}
    url, arn, before, _after = queue.ensure(owner(), name, attributes, TAGS)
    assert url and arn.endswith(":%s" % name) and before is None
    unchanged = owner()
    assert queue.ensure(unchanged, name, attributes, TAGS)[:2] == (url, arn) and unchanged.changes == []
    changed = owner()
    queue.ensure(changed, name, {"MessageRetentionPeriod": "86400"}, TAGS)
    assert changed.changes == ["queue %s: MessageRetentionPeriod 1209600 -> 86400" % name]
    assert queue.delete(owner(), name) is True and queue.url_of(owner(), name) is None


def test_event_subscription_created_modified_and_deleted(owner, aws):
    topic = aws("sns", REGION).create_topic(Name="tap-shared-subscription-topic")["TopicArn"]
    name = "tap-shared-subscription-test"
    first = owner()
    before, after, _sub = event_subscription.ensure(first, name, topic, "db-cluster", ["failure", "maintenance"])
    assert before is None and first.changes == [
        "create RDS event subscription %s (db-cluster: failure, maintenance)" % name
    ]
    unchanged = owner()
    event_subscription.ensure(unchanged, name, topic, "db-cluster", ["maintenance", "failure"])
    assert unchanged.changes == []
    modified = owner()
    event_subscription.ensure(modified, name, topic, "db-cluster", ["failure", "failover", "maintenance"])
    assert modified.changes == [
        "RDS event subscription %s: event categories ['failure', 'maintenance'] -> "
        "['failover', 'failure', 'maintenance']" % name
    ]
    assert event_subscription.delete(owner(), name) is True
    assert event_subscription.delete(owner(), name) is False
