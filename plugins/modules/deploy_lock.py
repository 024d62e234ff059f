#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: deploy_lock
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - tap.multiregion.attributes
short_description: Take, release or remove the deploy lock of an environment (a DynamoDB item)
version_added: 0.1.0
description:
  - Serializes runs against one environment, as Terraform's state lock did. The lock is one item per
    environment (O(lock_id)) in a small DynamoDB table (O(table)) of the region the connection points
    at (the primary region in this collection's plays).
  - O(state=locked) creates the table on first use (on-demand billing, tagged with O(tags), encrypted with
    the customer managed key O(kms_key_alias), which it creates with O(kms_key_policy) when missing;
    the module waits until the table is C(ACTIVE)), then takes the lock with a conditional write, so of
    two concurrent runs exactly one wins.
  - Each time a run takes the lock, the table's settings are read at the same time as the lock is written
    and repaired when they drifted (encryption with O(kms_key_alias), point-in-time recovery
    O(point_in_time_recovery) and deletion protection O(deletion_protection)).
  - A valid lock held by another run fails the task before anything changes, naming the holder, since
    when it is held, when it expires and how to remove it. An expired lock is taken over with a warning.
    Taking a lock this run (O(run_id)) already holds changes nothing, unless O(renew=true), which moves its
    expiry to O(ttl) seconds from now (a long run renews its lock between stages).
  - O(state=unlocked) releases the lock only if this run holds it (conditional delete on O(run_id));
    someone else's lock is never released (C(changed=false) and a warning).
  - O(state=unlocked) with O(force=true) removes whatever lock the environment has (for a run that died);
    the playbook C(playbooks/unlock.yml) asks for explicit confirmation first.
  - O(state=settings) compares the existing lock table's settings, as taking the lock does, and repairs them, leaving
    the lock as it is (whoever holds it). C(playbooks/drift.yml) runs it in check mode beside a deploy that may
    hold the lock. A missing table is left to the first run that takes the lock.
  - In check mode nothing is written (a check-mode run never takes the lock), but a lock held by
    another run still fails the task and a takeover still warns.
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
      - C(settings) compares (and repairs) the lock table's settings only.
    type: str
    choices: [locked, unlocked, settings]
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
    description: Tags of the lock table and its key, set when the module creates them.
    type: dict
    default: {}
  renew:
    description: With O(state=locked), extend a lock this run holds to O(ttl) seconds from now.
    type: bool
    default: false
  kms_key_alias:
    description:
      - Customer managed KMS key that encrypts the lock table (found by this alias; created when missing).
      - The table is shared by the environments of an account and region, and so is its key.
    type: str
    default: alias/tap-deploy-locks
  kms_key_policy:
    description:
      - Key policy of a key this module creates (a dict or JSON string); without it KMS gives the key its
        default policy. An existing key's policy is left as it is.
    type: json
  point_in_time_recovery:
    description: Keep point-in-time recovery of the lock table on.
    type: bool
    default: true
  deletion_protection:
    description:
      - C(true) turns on deletion protection of the lock table (staging and prod).
      - C(false) leaves it as it is, since the table is shared by the environments of the account and region.
    type: bool
    default: false
notes:
  - A lock that is free or expired is taken with one conditional write, made while the table's settings and
    key are read (one round trip); only when that write is refused (the lock is held) or finds no table is the
    lock read, and then decided as before. A run releases its own lock with one conditional delete. The table
    is created only when the first write finds it missing.
  - The table is tagged only when created; it is shared by the environments of an account and region.
  - C(table_changes) tells the repairs of an existing lock table apart from the run's bookkeeping (the lock
    item, and the table and key a first run creates, as a state backend); the role reports only those as
    changed, so a no-op deploy, and the plan of a new environment, report C(changed=0) for the lock.
author:
  - tap.multiregion maintainers (!UNKNOWN)
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
changes:
  description: One sentence per change made (or, in check mode, that would be made), naming the resource and attribute.
  returned: always
  type: list
  elements: str
  sample:
    - create KMS key alias/tap-deploy-locks
    - create lock table tap-deploy-locks
    - write the deploy lock prod
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
lock_changed:
  description: Whether the lock item was written (taken, renewed, released or removed; in check mode, would be).
  returned: always
  type: bool
  sample: true
table_changes:
  description: The repairs of the existing lock table among RV(changes) (what a plan or drift report shows).
  returned: always
  type: list
  elements: str
  sample: ["lock table tap-deploy-locks: point-in-time recovery false -> true"]
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

import json
import time

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.tap.multiregion.plugins.module_utils import deploy_lock as logic
from ansible_collections.tap.multiregion.plugins.module_utils import policies
from ansible_collections.tap.multiregion.plugins.module_utils.base import AwsResource
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure
from ansible_collections.tap.multiregion.plugins.module_utils.base import error_code
from ansible_collections.tap.multiregion.plugins.module_utils.base import update_sentence

KEY = "lock_id"
# Taken without a read first: no lock item, a malformed one (no expiry) or an expired one.
FREE_OR_EXPIRED = "attribute_not_exists(#k) OR attribute_not_exists(#e) OR #e <= :now"
# DescribeTable and DescribeContinuousBackups of a table that does not exist (yet).
NO_TABLE = ("ResourceNotFoundException", "TableNotFoundException")
# The lock table is created (rarely) while another run may be creating it too.
TABLE_EXISTS = "ResourceInUseException"


class DeployLock(AwsResource):
    SERVICE = "dynamodb"

    def __init__(self, module):
        super(DeployLock, self).__init__(module)
        p = module.params
        self.table = p["table"]
        self.lock_id = p["lock_id"]
        self.ddb = self.client()
        self.table_created = False
        self.lock_changed = False
        # The lock item and the table's creation are bookkeeping of the run (like a state backend);
        # repairs of an existing table's settings are changes.
        self.bookkeeping = set()

    def validate(self):
        p = self.params
        if p["state"] == "locked" and p["force"]:
            raise Failure("force: only valid with state=unlocked (it removes whatever lock the environment has)")
        if p["state"] == "unlocked" and not p["force"] and not p["run_id"]:
            raise Failure("run_id: required to release this run's lock; use force=true to remove any lock")
        if p["ttl"] <= 0:
            raise Failure("ttl: %d seconds; the lock must live at least one second" % p["ttl"])
        if not self.lock_id:
            raise Failure("lock_id: must not be empty")

    # ------------------------------------------------------------------ the lock item

    def key(self):
        return {KEY: {"S": self.lock_id}}

    def get_item(self):
        """(table exists, lock item or None)."""
        found = self.read("read the deploy lock %s from table %s" % (self.lock_id, self.table), self.ddb.get_item,
                          TableName=self.table, Key=self.key(), ConsistentRead=True,
                          missing="ResourceNotFoundException")
        return found is not None, (found or {}).get("Item")

    def unrecord(self, sentence):
        """Take back the change a conditional write recorded when AWS refused it (nothing was written)."""
        with self._changes_lock:
            if sentence in self.changes:
                self.changes.remove(sentence)

    def lock_sentence(self, sentence):
        """A change of the run's bookkeeping (the lock item, the table and key created on first use)."""
        self.bookkeeping.add(sentence)
        return sentence

    def put_item(self, item, expected):
        """Write item if the lock is still `expected` (None = no lock). False if someone got there first."""
        if expected is None:
            condition = dict(ConditionExpression="attribute_not_exists(#k)", ExpressionAttributeNames={"#k": KEY})
        else:
            condition = logic.unchanged_condition(expected)
        try:
            self.write(self.lock_sentence("write the deploy lock %s" % self.lock_id), self.ddb.put_item,
                       TableName=self.table, Item=item, **condition)
        except Failure as failure:
            if error_code(failure.error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def delete_item(self, run_id=None):
        """Delete the lock (only if run_id holds it, when given): the deleted item, False (not ours) or None."""
        kwargs = dict(TableName=self.table, Key=self.key(), ReturnValues="ALL_OLD")
        if run_id is not None:
            kwargs.update(ConditionExpression="#r = :r", ExpressionAttributeNames={"#r": "run_id"},
                          ExpressionAttributeValues={":r": {"S": run_id}})
        sentence = self.lock_sentence("delete the deploy lock %s" % self.lock_id)
        try:
            deleted = (self.write(sentence, self.ddb.delete_item, ignore="ResourceNotFoundException", **kwargs)
                       or {}).get("Attributes")
        except Failure as failure:
            if error_code(failure.error) != "ConditionalCheckFailedException":
                raise
            deleted = False
        if not deleted:
            self.unrecord(sentence)  # refused or nothing there: nothing was deleted
        return deleted

    # ------------------------------------------------------------------ the table and its key

    def key_arn(self, create):
        """ARN of the table's key (created when missing and create is true); None when there is none."""
        kms = self.client("kms")
        alias = self.params["kms_key_alias"]
        found = self.read("describe key %s" % alias, kms.describe_key, KeyId=alias, missing="NotFoundException")
        if found or not create:
            return (found or {}).get("KeyMetadata", {}).get("Arn")
        kwargs = dict(Description="Encrypts the deploy lock table %s (tap.multiregion)" % self.table,
                      Tags=ansible_dict_to_boto3_tag_list(self.params["tags"] or {}, "TagKey", "TagValue"))
        if self.params["kms_key_policy"]:
            kwargs["Policy"] = json.dumps(policies.load_policy(self.params["kms_key_policy"]))
        created = self.write(self.lock_sentence("create KMS key %s" % alias), kms.create_key, **kwargs)
        arn = (created or {}).get("KeyMetadata", {}).get("Arn")
        self.write(self.lock_sentence("create alias %s" % alias), kms.create_alias, AliasName=alias, TargetKeyId=arn)
        self.write(self.lock_sentence("KMS key %s: rotation false -> true" % alias), kms.enable_key_rotation,
                   KeyId=arn)
        return arn

    def create_table(self):
        """Create the table (a concurrent run may be creating it too) and wait until it is ACTIVE."""
        kwargs = dict(
            TableName=self.table,
            AttributeDefinitions=[{"AttributeName": KEY, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": KEY, "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
            SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": self.key_arn(create=True)},
            DeletionProtectionEnabled=self.params["deletion_protection"],
        )
        if self.params["tags"]:
            kwargs["Tags"] = ansible_dict_to_boto3_tag_list(self.params["tags"])
        self.write(self.lock_sentence("create lock table %s" % self.table), self.ddb.create_table,
                   ignore=TABLE_EXISTS, **kwargs)
        self.table_created = True
        self.wait_until("lock table %s to be ACTIVE" % self.table, self.table_active, timeout=300)
        if self.params["point_in_time_recovery"]:
            self.set_point_in_time_recovery(False, bookkeeping=True)

    def table_active(self):
        found = self.read("describe table %s" % self.table, self.ddb.describe_table, TableName=self.table,
                          missing="ResourceNotFoundException")
        return found is not None and found["Table"]["TableStatus"] == "ACTIVE"

    def set_point_in_time_recovery(self, current, bookkeeping=False):
        sentence = update_sentence("lock table %s" % self.table, "point-in-time recovery", current, True)
        self.write(self.lock_sentence(sentence) if bookkeeping else sentence, self.ddb.update_continuous_backups,
                   TableName=self.table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})

    def read_settings(self, missing=()):
        """(table description, point-in-time recovery on) of the existing table, read at the same time;
        (None, None) when the table is missing and missing holds ResourceNotFoundException."""
        found, backups = self.concurrently(
            lambda: self.read("describe table %s" % self.table, self.ddb.describe_table, TableName=self.table,
                              missing=missing),
            lambda: self.read("describe the continuous backups of %s" % self.table,
                              self.ddb.describe_continuous_backups, TableName=self.table, missing=missing),
        )
        if found is None or backups is None:
            return None, None
        status = backups["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription", {})
        return found["Table"], status.get("PointInTimeRecoveryStatus") == "ENABLED"

    def converge_settings(self, table, pitr, wanted_key):
        """Repair the table's encryption, point-in-time recovery and deletion protection."""
        label = "lock table %s" % self.table
        sse = table.get("SSEDescription") or {}
        current_key = sse.get("KMSMasterKeyArn") if sse.get("SSEType") == "KMS" else None
        if current_key is None or (wanted_key and current_key != wanted_key):
            key_arn = wanted_key or self.key_arn(create=True)
            self.update(label, "encryption", current_key or "AWS owned key", self.params["kms_key_alias"],
                        self.ddb.update_table, TableName=self.table,
                        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arn})
        if self.params["point_in_time_recovery"] and not pitr:
            self.set_point_in_time_recovery(False)
        if self.params["deletion_protection"] and not table.get("DeletionProtectionEnabled"):
            self.update(label, "deletion protection", False, True, self.ddb.update_table, TableName=self.table,
                        DeletionProtectionEnabled=True)

    # ------------------------------------------------------------------ locked / unlocked

    def result(self, facts):
        result = super(DeployLock, self).result(facts)
        result.update(table=self.table, table_created=self.table_created, lock_changed=self.lock_changed,
                      table_changes=[c for c in self.changes if c not in self.bookkeeping])
        if self.module._diff:
            result["diff"] = {"before": {"lock": facts.get("previous_lock") if self.lock_changed else facts["lock"]},
                              "after": {"lock": facts["lock"]}}
        return result

    def finish(self, msg, lock, previous, changed_lock, warnings=()):
        for warning in warnings:
            self.warn(warning)
        self.lock_changed = changed_lock
        return {"msg": msg, "lock": lock, "previous_lock": previous}

    def take_if_free(self):
        """The usual take, in one round trip: the lock written only if there is none or it expired (conditional
        put), while the table's settings and key are read. None when that did not take it (the lock is held,
        or there is no table yet): the caller reads the lock and decides."""
        p = self.params
        now = int(time.time())
        new_item = logic.lock_item(self.lock_id, p["holder"], p["run_id"], now, p["ttl"])
        sentence = self.lock_sentence("write the deploy lock %s" % self.lock_id)

        def put():
            try:
                return self.write(sentence, self.ddb.put_item, TableName=self.table, Item=new_item,
                                  ReturnValues="ALL_OLD", ConditionExpression=FREE_OR_EXPIRED,
                                  ExpressionAttributeNames={"#k": KEY, "#e": "expires_at"},
                                  ExpressionAttributeValues={":now": {"N": str(now)}}) or {}
            except Failure as failure:
                if error_code(failure.error) in ("ConditionalCheckFailedException", "ResourceNotFoundException"):
                    return None
                raise

        written, (table, pitr), wanted_key = self.concurrently(
            put, lambda: self.read_settings(missing=NO_TABLE), lambda: self.key_arn(create=False))
        if written is None:
            self.unrecord(sentence)  # refused or no table: nothing was written
            return None
        if table is not None:
            self.converge_settings(table, pitr, wanted_key)
        previous = logic.lock_from_item(written.get("Attributes"), now)
        new_lock = logic.lock_from_item(new_item, now)
        warnings = []
        if previous and previous["run_id"] != p["run_id"]:
            warnings.append(logic.takeover_warning(self.lock_id, previous))
        msg = "took the deploy lock of %s for %s (run %s) until %s" % (
            self.lock_id, p["holder"], p["run_id"], new_lock["expires_at"])
        return self.finish(msg, new_lock, previous, True, warnings)

    def locked(self):
        p = self.params
        holder, run_id = p["holder"], p["run_id"]
        if not self.check_mode:
            taken = self.take_if_free()
            if taken is not None:
                return taken
        exists, item = self.get_item()
        for _attempt in range(2):
            now = int(time.time())
            current = logic.lock_from_item(item, now)
            decision = logic.decide_acquire(current, run_id)
            if decision == "refuse":
                raise Failure(logic.locked_message(self.lock_id, current), lock=current, table=self.table)
            if decision == "held" and not p["renew"]:
                return self.finish("this run already holds the deploy lock of %s" % self.lock_id, current, None, False)
            takeover = decision == "takeover" and current["run_id"] != run_id
            warnings = [logic.takeover_warning(self.lock_id, current)] if takeover else []
            new_item = logic.lock_item(self.lock_id, holder, run_id, now, p["ttl"])
            new_lock = logic.lock_from_item(new_item, now)
            verb = "renewed" if decision == "held" else "took"
            msg = "%s the deploy lock of %s for %s (run %s) until %s" % (
                "would %s" % ("renew" if decision == "held" else "take") if self.check_mode else verb,
                self.lock_id, holder, run_id, new_lock["expires_at"])
            if not exists:
                if self.check_mode:
                    self.record(self.lock_sentence("create lock table %s" % self.table))
                    self.record(self.lock_sentence("write the deploy lock %s" % self.lock_id))
                    self.table_created = True
                    return self.finish(msg + " (check mode: nothing written)", new_lock, current, True, warnings)
                self.create_table()
                exists = True
                written = self.put_item(new_item, item)
            elif decision == "held":
                written = self.put_item(new_item, item)
            else:
                # The table's settings are read while the lock is written: no extra round trip.
                written, (table, pitr), wanted_key = self.concurrently(
                    lambda new_item=new_item, item=item: self.put_item(new_item, item),
                    self.read_settings,
                    lambda: self.key_arn(create=False),
                )
                self.converge_settings(table, pitr, wanted_key)
            if written:
                suffix = " (check mode: nothing written)" if self.check_mode else ""
                return self.finish(msg + suffix, new_lock, current, True, warnings)
            # Someone changed the lock between our read and our write: decide again on what is there now.
            exists, item = self.get_item()
        raise Failure("the deploy lock of %s changed twice while this run tried to take it; try again" % self.lock_id)

    def settings(self):
        """The lock table's settings compared (and repaired) as when a run takes the lock; the lock is left alone."""
        found = self.read("describe table %s" % self.table, self.ddb.describe_table, TableName=self.table,
                          missing="ResourceNotFoundException")
        if found is None:
            return self.finish("no lock table %s yet: the first run that takes the lock creates it" % self.table,
                               None, None, False)
        (table, pitr), wanted_key = self.concurrently(self.read_settings, lambda: self.key_arn(create=False))
        self.converge_settings(table, pitr, wanted_key)
        return self.finish("compared the settings of lock table %s" % self.table, None, None, False)

    def unlocked(self):
        run_id, force = self.params["run_id"], self.params["force"]
        if not force and not self.check_mode:
            # A run releases its own lock with one conditional delete; the lock is read only when that refuses.
            deleted = self.delete_item(run_id)
            if deleted:
                released = logic.lock_from_item(deleted, time.time())
                return self.finish("released the deploy lock of %s held by %s"
                                   % (self.lock_id, logic.describe_holder(released)), None, released, True)
            if deleted is None:
                return self.finish("environment %s is not locked" % self.lock_id, None, None, False)
        _exists, item = self.get_item()
        current = logic.lock_from_item(item, time.time())
        decision = "release" if force and current else logic.decide_release(current, run_id)
        if decision == "absent":
            return self.finish("environment %s is not locked" % self.lock_id, None, None, False)
        if decision == "foreign":
            return self.finish("the deploy lock of %s is not this run's" % self.lock_id, current, None, False,
                               [logic.not_ours_warning(self.lock_id, current, run_id)])
        verb = "removed" if force else "released"
        if self.check_mode:
            self.record(self.lock_sentence("delete the deploy lock %s" % self.lock_id))
            return self.finish("would %s the deploy lock of %s held by %s (check mode: nothing written)"
                               % (verb[:-1], self.lock_id, logic.describe_holder(current)), None, current, True)
        deleted = self.delete_item(None if force else run_id)
        if deleted is False:
            # Taken over between our read and our delete: it is someone else's now.
            now_current = logic.lock_from_item(self.get_item()[1], time.time())
            warnings = [logic.not_ours_warning(self.lock_id, now_current, run_id)] if now_current else []
            return self.finish("the deploy lock of %s is not this run's" % self.lock_id, now_current, None, False,
                               warnings)
        if deleted is None:
            return self.finish("environment %s is not locked" % self.lock_id, None, None, False)
        removed = logic.lock_from_item(deleted, time.time())
        warnings = []
        if force:
            warnings.append("environment %s: removed the deploy lock of %s"
                            % (self.lock_id, logic.describe_holder(removed)))
        return self.finish("%s the deploy lock of %s held by %s" % (verb, self.lock_id, logic.describe_holder(removed)),
                           None, removed, True, warnings)


def main():
    argument_spec = dict(
        lock_id=dict(type="str", required=True, aliases=["environment"]),
        state=dict(type="str", choices=["locked", "unlocked", "settings"], default="locked"),
        force=dict(type="bool", default=False),
        renew=dict(type="bool", default=False),
        holder=dict(type="str"),
        run_id=dict(type="str"),
        ttl=dict(type="int", default=10800),
        table=dict(type="str", default="tap-deploy-locks"),
        tags=dict(type="dict", default={}),
        kms_key_alias=dict(type="str", default="alias/tap-deploy-locks", no_log=False),
        kms_key_policy=dict(type="json", no_log=False),
        point_in_time_recovery=dict(type="bool", default=True),
        deletion_protection=dict(type="bool", default=False),
    )
    DeployLock.main(argument_spec, required_if=[("state", "locked", ("holder", "run_id"))])


if __name__ == "__main__":
    main()
