# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""CloudWatch Logs log groups: the one place our modules make them (flow logs, function logs, API
access logs). The owner is the AwsResource of the module that needs the group; its changes, check
mode and failures are the owner's."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.tap.multiregion.plugins.module_utils.base import KMS_POLICY_PROPAGATION

# Values CloudWatch Logs accepts for retentionInDays.
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                  3288, 3653)


def arn(partition, region, account_id, name):
    return "arn:%s:logs:%s:%s:log-group:%s" % (partition, region, account_id, name)


def check_retention(name, days):
    """An error message when days is not a retention CloudWatch Logs accepts (None: fine)."""
    if days is None or days in RETENTION_DAYS:
        return None
    return "retention of log group %s: %s days is not allowed; CloudWatch Logs accepts %s" % (
        name, days, ", ".join(map(str, RETENTION_DAYS)))


def describe(owner, name):
    """The log group named name, or None."""
    logs = owner.client("logs")
    found = owner.paginate("describe log group %s" % name, logs, "describe_log_groups", logGroupNamePrefix=name)
    return next((g for g in found.get("logGroups", []) if g["logGroupName"] == name), None)


def _group_arn(group):
    # logGroupArn is the ARN without the trailing ":*" that the older "arn" field carries.
    return group.get("logGroupArn") or group.get("arn", "").rstrip("*").rstrip(":")


def ensure(owner, name, retention_days=None, kms_key_arn=None, tags=None, purge_tags=True):
    """Make the log group exist with this retention (None: leave), key (None: leave) and tags (None: leave).

    Returns (before, after, arn): before is None for a group that did not exist; arn is None for a group
    that would be created in check mode.
    """
    logs = owner.client("logs")
    label = "log group %s" % name
    current = describe(owner, name)
    wanted_tags = None if tags is None else dict((k, str(v)) for k, v in tags.items())
    if current is None:
        kwargs = {"logGroupName": name}
        if kms_key_arn:
            kwargs["kmsKeyId"] = kms_key_arn
        if wanted_tags:
            kwargs["tags"] = wanted_tags
        # A key created (or its policy changed) seconds ago may not yet admit CloudWatch Logs.
        owner.write("create %s" % label, logs.create_log_group, propagation=KMS_POLICY_PROPAGATION, **kwargs)
        if retention_days is not None:
            owner.update(label, "retention days", None, retention_days, logs.put_retention_policy,
                         logGroupName=name, retentionInDays=retention_days)
        after = {"retention_days": retention_days, "kms_key_arn": kms_key_arn, "tags": wanted_tags or {}}
        created = None if owner.check_mode else (describe(owner, name) or {})
        return None, after, _group_arn(created) if created else None

    group_arn = _group_arn(current)
    current_tags = {}
    if tags is not None:
        current_tags = owner.read("list the tags of %s" % label, logs.list_tags_for_resource,
                                  resourceArn=group_arn).get("tags") or {}
    before = {
        "retention_days": current.get("retentionInDays"),
        "kms_key_arn": current.get("kmsKeyId"),
        "tags": current_tags,
    }
    after = dict(before)
    if kms_key_arn and current.get("kmsKeyId") != kms_key_arn:
        owner.update(label, "KMS key", current.get("kmsKeyId"), kms_key_arn, logs.associate_kms_key,
                     logGroupName=name, kmsKeyId=kms_key_arn, propagation=KMS_POLICY_PROPAGATION)
        after["kms_key_arn"] = kms_key_arn
    if retention_days is not None and current.get("retentionInDays") != retention_days:
        owner.update(label, "retention days", current.get("retentionInDays"), retention_days,
                     logs.put_retention_policy, logGroupName=name, retentionInDays=retention_days)
        after["retention_days"] = retention_days
    after["tags"] = owner.sync_tags(
        label, current_tags, wanted_tags,
        tag=lambda to_set: logs.tag_resource(aws_retry=True, resourceArn=group_arn, tags=to_set),
        untag=lambda keys: logs.untag_resource(aws_retry=True, resourceArn=group_arn, tagKeys=keys),
        purge=purge_tags,
    )
    return before, after, group_arn


def delete(owner, name):
    """Delete the log group when it exists; returns whether it existed."""
    if describe(owner, name) is None:
        return False
    owner.write("delete log group %s" % name, owner.client("logs").delete_log_group, logGroupName=name,
                ignore="ResourceNotFoundException")
    return True
