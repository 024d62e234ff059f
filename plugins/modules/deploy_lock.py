#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: deploy_lock
short_description: Take, release or remove the deploy lock of an environment (a DynamoDB item)
version_added: 0.1.0
description:
  - Serializes runs against one environment, as Terraform's state lock did. The lock is one item per
    environment (O(lock_id)) in a small DynamoDB table (O(table)) of the region the connection points
    at (the primary region in this collection's plays).
  - O(state=locked) creates the table on first use (on-demand billing, server-side encryption with the
    AWS managed key, tagged with O(tags); the module waits until it is C(ACTIVE)), then takes the lock
    with a conditional write, so of two concurrent runs exactly one wins.
  - A valid lock held by another run fails the task before anything changes, naming the holder, since
    when it is held, when it expires and how to remove it. An expired lock is taken over with a warning.
    Taking a lock this run (O(run_id)) already holds changes nothing.
  - O(state=unlocked) releases the lock only if this run holds it (conditional delete on O(run_id));
    someone else's lock is never released (C(changed=false) and a warning).
  - O(state=unlocked) with O(force=true) removes whatever lock the environment has (for a run that died);
    the playbook C(playbooks/unlock.yml) asks for explicit confirmation first.
  - In check mode nothing is written (a check-mode run never takes the lock), but a lock held by
    another run still fails the task and a takeover still warns.
author:
  - tap.multiregion maintainers (!UNKNOWN)
options:
  lock_id:
    description: What is locked, the environment name (C(dev), C(staging), C(prod)).
    type: str
    required: true
    aliases: [environment]
  state:
    description:
      - C(locked) takes the lock for O(run_id) (or keeps it if this run holds it already).
      - C(unlocked) releases this run's lock; with O(force=true), any lock.
    type: str
    choices: [locked, unlocked]
    default: locked
  force:
    description:
      - With O(state=unlocked), remove the lock whoever holds it. Use only when the holder's run is dead.
    type: bool
    default: false
  holder:
    description:
      - Who takes the lock, shown to anyone who finds the environment locked, e.g. C(alice@ws1) or
        C(awx job 42). Required with O(state=locked).
    type: str
  run_id:
    description:
      - Identifies this run (a random token made once per run). Only the run that took the lock can
        release it without O(force). Required unless O(state=unlocked) and O(force=true).
    type: str
  ttl:
    description:
      - Seconds until the lock expires. An expired lock is considered stale (its run died) and the next
        run takes it over with a warning, so make it longer than the longest deploy.
    type: int
    default: 10800
  table:
    description: Name of the lock table (one per account and region, shared by the environments).
    type: str
    default: tap-deploy-locks
  tags:
    description: Tags of the lock table, set when the module creates it.
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - tap.multiregion.attributes
notes:
  - Each lock operation is one read and at most one conditional write; the table is described and
    created only when the first write finds it missing.
  - The table is tagged only when created; it is shared by the environments of an account and region.
  - A lock held by this run is not renewed by taking it again; choose O(ttl) accordingly.
"""

EXAMPLES = r"""
- name: Take the deploy lock of the environment
  tap.multiregion.deploy_lock:
    lock_id: "{{ tap_environment }}"
    holder: "alice@ws1"
    run_id: "{{ deploy_lock_run_id }}"
    ttl: 10800
    tags: "{{ tap_tags }}"

- name: Release it at the end of the run (only if this run still holds it)
  tap.multiregion.deploy_lock:
    lock_id: "{{ tap_environment }}"
    run_id: "{{ deploy_lock_run_id }}"
    state: unlocked

- name: Remove the lock of a run that died
  tap.multiregion.deploy_lock:
    lock_id: prod
    state: unlocked
    force: true
"""

RETURN = r"""
lock:
  description:
    - The lock after the task (C(null) when the environment is not locked).
    - In check mode, the lock as the task would have left it.
  returned: always
  type: dict
  contains:
    lock_id:
      description: The environment.
      type: str
      sample: prod
    holder:
      description: Who holds the lock.
      type: str
      sample: alice@ws1
    run_id:
      description: The run that holds the lock.
      type: str
      sample: k3x9q2m7p1ab
    acquired_at:
      description: When the lock was taken (UTC, ISO 8601).
      type: str
      sample: "2026-01-01T00:00:00Z"
    expires_at:
      description: When the lock expires (UTC, ISO 8601).
      type: str
      sample: "2026-01-01T03:00:00Z"
    expired:
      description: Whether the lock has expired.
      type: bool
      sample: false
    expires_in_seconds:
      description: Seconds until it expires (0 once expired).
      type: int
      sample: 10800
previous_lock:
  description: The lock this task replaced (expired takeover) or removed (release, forced unlock).
  returned: always
  type: dict
  sample: {lock_id: prod, holder: bob@ws2, run_id: 7f2k..., acquired_at: "...", expires_at: "...", expired: true}
table:
  description: Name of the lock table.
  returned: always
  type: str
  sample: tap-deploy-locks
table_created:
  description: Whether this task created the lock table (or would have, in check mode).
  returned: always
  type: bool
  sample: false
msg:
  description: What the task did.
  returned: always
  type: str
  sample: took the deploy lock of prod for alice@ws1 (run k3x9q2m7p1ab) until 2026-01-01T03:00:00Z
diff:
  description: The lock before and after (in diff mode).
  returned: when diff mode is on
  type: dict
"""

import time

from ansible.module_utils.common.warnings import warn

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.tap.multiregion.plugins.module_utils.deploy_lock import decide_acquire
from ansible_collections.tap.multiregion.plugins.module_utils.deploy_lock import decide_release
from ansible_collections.tap.multiregion.plugins.module_utils.deploy_lock import describe_holder
from ansible_collections.tap.multiregion.plugins.module_utils.deploy_lock import lock_from_item
from ansible_collections.tap.multiregion.plugins.module_utils.deploy_lock import lock_item
from ansible_collections.tap.multiregion.plugins.module_utils.deploy_lock import locked_message
from ansible_collections.tap.multiregion.plugins.module_utils.deploy_lock import not_ours_warning
from ansible_collections.tap.multiregion.plugins.module_utils.deploy_lock import takeover_warning

# DynamoDB's throttling codes on top of AWSRetry's defaults; LimitExceededException = too many
# tables being created at once in the account (CreateTable).
RETRY_CODES = ["ThrottlingException", "ProvisionedThroughputExceededException", "LimitExceededException"]
KEY = "lock_id"


class LockTable:
    """The lock table and its items; every call retried on throttling."""

    def __init__(self, module):
        self.module = module
        self.name = module.params["table"]
        self.lock_id = module.params["lock_id"]
        retry = AWSRetry.jittered_backoff(retries=8, delay=1, max_delay=10, catch_extra_error_codes=RETRY_CODES)
        self.client = module.client("dynamodb", retry_decorator=retry)
        self.created = False

    def key(self):
        return {KEY: {"S": self.lock_id}}

    def get(self):
        """The lock item, None when free; raises ResourceNotFoundException when the table is missing."""
        return self.client.get_item(aws_retry=True, TableName=self.name, Key=self.key(), ConsistentRead=True).get(
            "Item"
        )

    def read(self):
        """(table_exists, item)"""
        try:
            return True, self.get()
        except is_boto3_error_code("ResourceNotFoundException"):
            return False, None
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(
                e, msg="Failed to read the deploy lock %s from table %s" % (self.lock_id, self.name)
            )

    def create(self):
        """Create the table (a concurrent run may be creating it too) and wait until it is ACTIVE."""
        tags = ansible_dict_to_boto3_tag_list(self.module.params["tags"] or {})
        kwargs = dict(
            TableName=self.name,
            AttributeDefinitions=[{"AttributeName": KEY, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": KEY, "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
            # The AWS managed key: the lock is taken before the region's own key exists.
            SSESpecification={"Enabled": True, "SSEType": "KMS"},
        )
        if tags:
            kwargs["Tags"] = tags
        try:
            self.client.create_table(aws_retry=True, **kwargs)
            self.created = True
        except is_boto3_error_code("ResourceInUseException"):
            pass  # created meanwhile by a concurrent run
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg="Failed to create the deploy lock table %s" % self.name)
        try:
            self.client.get_waiter("table_exists").wait(
                TableName=self.name, WaiterConfig={"Delay": 2, "MaxAttempts": 90}
            )
        except botocore.exceptions.WaiterError as e:
            self.module.fail_json_aws(e, msg="The deploy lock table %s did not become ACTIVE" % self.name)

    def put(self, item, expected):
        """Write `item` if the lock is still `expected` (None = no lock). False if someone got there first."""
        if expected is None:
            condition = dict(ConditionExpression="attribute_not_exists(#k)", ExpressionAttributeNames={"#k": KEY})
        else:
            # Exactly the lock we read (an item written by hand may lack attributes).
            clauses, names, values = [], {}, {}
            for placeholder, attribute in (("r", "run_id"), ("e", "expires_at")):
                names["#" + placeholder] = attribute
                if attribute in expected:
                    clauses.append("#%s = :%s" % (placeholder, placeholder))
                    values[":" + placeholder] = expected[attribute]
                else:
                    clauses.append("attribute_not_exists(#%s)" % placeholder)
            condition = dict(ConditionExpression=" AND ".join(clauses), ExpressionAttributeNames=names)
            if values:
                condition["ExpressionAttributeValues"] = values
        try:
            self.client.put_item(aws_retry=True, TableName=self.name, Item=item, **condition)
            return True
        except is_boto3_error_code("ConditionalCheckFailedException"):
            return False
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(
                e, msg="Failed to write the deploy lock %s to table %s" % (self.lock_id, self.name)
            )

    def delete(self, run_id=None):
        """Delete the lock (only if `run_id` holds it, when given). Returns the deleted item, or False."""
        kwargs = dict(TableName=self.name, Key=self.key(), ReturnValues="ALL_OLD")
        if run_id is not None:
            kwargs.update(
                ConditionExpression="#r = :r",
                ExpressionAttributeNames={"#r": "run_id"},
                ExpressionAttributeValues={":r": {"S": run_id}},
            )
        try:
            return self.client.delete_item(aws_retry=True, **kwargs).get("Attributes")
        except is_boto3_error_code("ConditionalCheckFailedException"):
            return False
        except is_boto3_error_code("ResourceNotFoundException"):  # pylint: disable=duplicate-except
            return None
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(
                e, msg="Failed to delete the deploy lock %s from table %s" % (self.lock_id, self.name)
            )


def _finish(module, table, changed, msg, lock, previous, warnings=()):
    for warning in warnings:
        # Not module.warn: amazon.aws 10's AnsibleAWSModule also copies its warnings into the result,
        # which ansible-core 2.19 answers with a deprecation warning on every task that warns.
        warn(warning)
    result = dict(
        changed=changed,
        msg=msg,
        lock=lock,
        previous_lock=previous,
        table=table.name,
        table_created=table.created,
    )
    if module._diff:
        result["diff"] = {"before": {"lock": previous if changed else lock}, "after": {"lock": lock}}
    module.exit_json(**result)


def acquire(module, table):
    lock_id, holder, run_id = module.params["lock_id"], module.params["holder"], module.params["run_id"]
    exists, item = table.read()
    for _attempt in range(2):
        now = int(time.time())
        current = lock_from_item(item, now)
        decision = decide_acquire(current, run_id)
        if decision == "refuse":
            module.fail_json(msg=locked_message(lock_id, current), lock=current, table=table.name)
        if decision == "held":
            _finish(module, table, False, "this run already holds the deploy lock of %s" % lock_id, current, None)
        warnings = (
            [takeover_warning(lock_id, current)] if decision == "takeover" and current["run_id"] != run_id else []
        )
        new_item = lock_item(lock_id, holder, run_id, now, module.params["ttl"])
        new_lock = lock_from_item(new_item, now)
        msg = "%s the deploy lock of %s for %s (run %s) until %s" % (
            "would take" if module.check_mode else "took",
            lock_id,
            holder,
            run_id,
            new_lock["expires_at"],
        )
        if module.check_mode:
            table.created = not exists
            _finish(module, table, True, msg + " (check mode: nothing written)", new_lock, current, warnings)
        if not exists:
            table.create()
            exists = True
        if table.put(new_item, item):
            _finish(module, table, True, msg, new_lock, current, warnings)
        # Someone changed the lock between our read and our write: decide again on what is there now.
        item = table.get()
    module.fail_json(msg="the deploy lock of %s changed twice while this run tried to take it; try again" % lock_id)


def release(module, table):
    lock_id, run_id, force = module.params["lock_id"], module.params["run_id"], module.params["force"]
    _exists, item = table.read()
    current = lock_from_item(item, time.time())
    decision = "release" if force and current else decide_release(current, run_id)
    if decision == "absent":
        _finish(module, table, False, "environment %s is not locked" % lock_id, None, None)
    if decision == "foreign":
        _finish(
            module,
            table,
            False,
            "the deploy lock of %s is not this run's" % lock_id,
            current,
            None,
            [not_ours_warning(lock_id, current, run_id)],
        )
    verb = "removed" if force else "released"
    if module.check_mode:
        _finish(
            module,
            table,
            True,
            "would %s the deploy lock of %s held by %s (check mode: nothing written)"
            % (verb[:-1], lock_id, describe_holder(current)),
            None,
            current,
        )
    deleted = table.delete(None if force else run_id)
    if deleted is False:
        # Taken over between our read and our delete: it is someone else's now.
        now_current = lock_from_item(table.get(), time.time())
        _finish(
            module,
            table,
            False,
            "the deploy lock of %s is not this run's" % lock_id,
            now_current,
            None,
            [not_ours_warning(lock_id, now_current, run_id)] if now_current else [],
        )
    if deleted is None:
        _finish(module, table, False, "environment %s is not locked" % lock_id, None, None)
    removed = lock_from_item(deleted, time.time())
    warnings = []
    if force:
        warnings.append("environment %s: removed the deploy lock of %s" % (lock_id, describe_holder(removed)))
    _finish(
        module,
        table,
        True,
        "%s the deploy lock of %s held by %s" % (verb, lock_id, describe_holder(removed)),
        None,
        removed,
        warnings,
    )


def main():
    argument_spec = dict(
        lock_id=dict(type="str", required=True, aliases=["environment"]),
        state=dict(type="str", choices=["locked", "unlocked"], default="locked"),
        force=dict(type="bool", default=False),
        holder=dict(type="str"),
        run_id=dict(type="str"),
        ttl=dict(type="int", default=10800),
        table=dict(type="str", default="tap-deploy-locks"),
        tags=dict(type="dict", default={}),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "locked", ("holder", "run_id"))],
        supports_check_mode=True,
    )
    params = module.params
    if params["state"] == "locked" and params["force"]:
        module.fail_json(msg="force: only valid with state=unlocked (it removes whatever lock the environment has)")
    if params["state"] == "unlocked" and not params["force"] and not params["run_id"]:
        module.fail_json(msg="run_id: required to release this run's lock; use force=true to remove any lock")
    if params["ttl"] <= 0:
        module.fail_json(msg="ttl: %d seconds; the lock must live at least one second" % params["ttl"])
    if not params["lock_id"]:
        module.fail_json(msg="lock_id: must not be empty")

    table = LockTable(module)
    if params["state"] == "locked":
        acquire(module, table)
    else:
        release(module, table)


if __name__ == "__main__":
    main()
