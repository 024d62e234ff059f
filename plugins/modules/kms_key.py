#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: kms_key
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
  - tap.multiregion.attributes
short_description: Manage a symmetric customer managed KMS key found by its alias, with few API calls
version_added: 0.1.0
description:
  - Manages, in one invocation, a symmetric encryption KMS key (C(SYMMETRIC_DEFAULT), C(ENCRYPT_DECRYPT)) and its
    alias, that is the key's state (enabled or disabled), automatic key rotation, key policy, description and tags.
  - The key is found by its alias with one C(DescribeKey) call. A run with nothing to change reads the key policy,
    the rotation status and the tags once each (4 read calls in all), makes no write call and reports
    C(changed=false). The key policy is compared as a document (statement and list order, a single value or a
    one-element list make no difference) and is never rewritten when equal.
  - Every key it creates carries the tag O(alias_tag_key) with the alias name. When the alias is missing (for example
    after a run interrupted between creating the key and its alias), the keys of the account and region are listed
    and a key with that tag is adopted instead of creating a second key; this listing happens only then.
  - A key pending deletion that the alias (or the alias tag) points to is recovered (its deletion is cancelled and it
    is enabled again).
  - O(state=absent) schedules the key for deletion after O(pending_window_days) days and, with O(delete_alias=true),
    deletes the alias. A key already pending deletion, or no key at all, is left as it is.
options:
  alias:
    description:
      - Alias of the key, with or without the C(alias/) prefix (an alias ARN is accepted too).
      - The key is found by it; it must not start with C(alias/aws/) (reserved for AWS managed keys).
    type: str
    required: true
    aliases: [key_alias]
  state:
    description:
      - C(present) creates or converges the key and the alias.
      - C(absent) schedules the key for deletion (see O(pending_window_days) and O(delete_alias)).
    type: str
    choices: [present, absent]
    default: present
  description:
    description: Description of the key. Left as it is when not given.
    type: str
  enabled:
    description: Whether the key is enabled (usable for cryptographic operations).
    type: bool
    default: true
  enable_key_rotation:
    description:
      - Whether automatic yearly rotation of the key material is on.
      - KMS changes rotation only on an enabled key; on a key kept disabled a needed change is skipped with a warning.
    type: bool
    default: true
  policy:
    description:
      - The key policy, as a dict or a JSON string. Left as it is when not given (a new key then gets the KMS
        default policy).
      - The policy must let the account administer the key (KMS refuses a policy that locks the caller out).
    type: json
  alias_tag_key:
    description:
      - Key of the tag that records the alias on the key, used to find the key when the alias is missing.
      - An empty string turns the tag (and the search by tag) off.
    type: str
    default: "tap:kms:alias"
  pending_window_days:
    description: Waiting period, in days (7 to 30), before a key scheduled for deletion is deleted.
    type: int
    default: 30
    aliases: [pending_window, deletion_delay]
  keep_while_in_use:
    description:
      - With O(state=absent), do not schedule the deletion of a key that still encrypts data that is kept (recovery
        points in an AWS Backup vault, manual DB cluster snapshots (such as a final snapshot) or Secrets Manager
        secrets); after the waiting period such data could never be read again. The key is kept and a warning names
        what it encrypts; RV(kept_for) lists it.
    type: bool
    default: false
  delete_alias:
    description:
      - With O(state=absent), also delete the alias.
      - Keep the alias (C(false)) so that a later O(state=present) run finds the key pending deletion with one call
        and recovers it; without the alias the key is found by its alias tag (a listing of the keys).
    type: bool
    default: true
notes:
  - The alias tag O(alias_tag_key) is added to O(tags); without O(tags) the tags are left as they are except
    that the alias tag is added.
  - Retries throttling with jittered exponential backoff.
  - Read calls of a run with nothing to change are C(DescribeKey) (by alias), C(GetKeyPolicy) (only with O(policy)),
    C(GetKeyRotationStatus) and C(ListResourceTags).
  - Only symmetric encryption keys of origin C(AWS_KMS) in one region are managed (no multi-Region keys, grants,
    asymmetric or HMAC keys); use M(amazon.aws.kms_key) for those.
author:
  - tap.multiregion maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Ensure the region's key with rotation and alias
  tap.multiregion.kms_key:
    alias: alias/tap-dev-us-east-1
    description: tap dev us-east-1 customer managed key
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: EnableAccountAdministration
          Effect: Allow
          Principal: {AWS: "arn:aws:iam::123456789012:root"}
          Action: [kms:DescribeKey, kms:PutKeyPolicy, kms:GetKeyPolicy, kms:ScheduleKeyDeletion]
          Resource: "*"
    tags:
      Environment: dev
  register: key

- name: Schedule the key for deletion in 10 days, keep the alias for a later recovery
  tap.multiregion.kms_key:
    alias: alias/tap-dev-us-east-1
    state: absent
    pending_window_days: 10
    delete_alias: false
"""

RETURN = r"""
key_id:
  description: ID of the key.
  returned: when a key exists (not in check mode when it would be created)
  type: str
  sample: 1234abcd-12ab-34cd-56ef-1234567890ab
changes:
  description: One sentence per change made (or, in check mode, that would be made), naming the resource and attribute.
  returned: always
  type: list
  elements: str
  sample:
    - create key alias/tap-dev-us-east-1
    - create alias alias/tap-dev-us-east-1
    - "key alias/tap-dev-us-east-1: rotation false -> true"
key_arn:
  description: ARN of the key.
  returned: when a key exists (not in check mode when it would be created)
  type: str
  sample: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
alias:
  description: The alias name (with the C(alias/) prefix).
  returned: always
  type: str
  sample: alias/tap-dev-us-east-1
key_state:
  description: State of the key after the run (C(Enabled), C(Disabled), C(PendingDeletion)); null when there is none.
  returned: always
  type: str
  sample: Enabled
kept_for:
  description: What the key still encrypts, when O(keep_while_in_use) kept it from deletion.
  returned: when O(state=absent) and the key was kept
  type: list
  elements: str
  sample: ["2 recovery points in backup vault tap-backup-prod-us-east-1", "DB cluster snapshot aurora-prod-final"]
deletion_date:
  description: When a key pending deletion is deleted.
  returned: when O(state=absent) and the key is pending deletion
  type: str
  sample: "2025-01-31T12:00:00+00:00"
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.tap.multiregion.plugins.module_utils import kms as logic
from ansible_collections.tap.multiregion.plugins.module_utils import policies
from ansible_collections.tap.multiregion.plugins.module_utils.base import AwsResource
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure
from ansible_collections.tap.multiregion.plugins.module_utils.base import error_code

# Per-key errors that only mean "not this key" while searching keys by tag.
SKIP_KEY_CODES = ("AccessDeniedException", "NotFoundException", "KMSInvalidStateException")


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _tags(tag_list):
    return boto3_tag_list_to_ansible_dict(tag_list or [], "TagKey", "TagValue")


def _tag_list(tags):
    return ansible_dict_to_boto3_tag_list(tags or {}, "TagKey", "TagValue")


class KmsKey(AwsResource):
    SERVICE = "kms"

    def __init__(self, module):
        super(KmsKey, self).__init__(module)
        self.alias = logic.canonical_alias(module.params["alias"])
        self.label = "key %s" % self.alias
        self.tag_key = module.params["alias_tag_key"] or None
        self.kms = self.client()

    def validate(self):
        p = self.params
        error = logic.check_pending_window(p["pending_window_days"])
        if error:
            raise Failure(error)
        if self.alias.startswith("alias/aws/"):
            raise Failure("alias: %s is reserved for AWS managed keys" % self.alias)
        if p["state"] == "present":
            self.policy = self.desired_policy()
            self.tags = self.desired_tags()

    # ------------------------------------------------------------------ reads

    def describe(self, key_id):
        found = self.read("describe key %s" % key_id, self.kms.describe_key, KeyId=key_id, missing="NotFoundException")
        return found["KeyMetadata"] if found else None

    def tags_of(self, key_id):
        found = self.paginate("list the tags of key %s" % key_id, self.kms, "list_resource_tags", KeyId=key_id)
        return _tags(found["Tags"])

    def tagged_keys(self):
        """Metadata of every key that carries the alias tag with this alias (a listing of the region's keys)."""
        if not self.tag_key:
            return []
        keys = self.paginate(
            "list the keys to find the one tagged %s=%s" % (self.tag_key, self.alias), self.kms, "list_keys"
        )["Keys"]

        def tagged(key):
            try:
                tags = self.tags_of(key["KeyId"])
            except Failure as failure:
                if error_code(failure.error) in SKIP_KEY_CODES:
                    return None  # AWS managed keys, keys of other principals, keys being deleted
                raise
            if tags.get(self.tag_key) != self.alias:
                return None
            metadata = self.describe(key["KeyId"])
            return metadata if metadata and metadata.get("KeyManager", "CUSTOMER") == "CUSTOMER" else None

        return [m for m in self.concurrently(*[lambda key=key: tagged(key) for key in keys]) if m]

    def find(self):
        """(key metadata or None, whether the alias exists). The listing by tag runs only without the alias."""
        metadata = self.describe(self.alias)
        if metadata is not None:
            return metadata, True
        candidates = self.tagged_keys()
        if len(candidates) > 1:
            self.warn(
                "%d keys carry the tag %s=%s; adopting %s"
                % (len(candidates), self.tag_key, self.alias, logic.pick_key(candidates)["KeyId"])
            )
        return logic.pick_key(candidates), False

    def rotation_of(self, key_id):
        """Whether automatic rotation is on; None when KMS does not tell (a key pending deletion, in check mode)."""
        found = self.read(
            "read the rotation status of key %s" % key_id,
            self.kms.get_key_rotation_status,
            KeyId=key_id,
            missing=("KMSInvalidStateException", "UnsupportedOperationException"),
        )
        return found["KeyRotationEnabled"] if found else None

    def policy_of(self, key_id):
        found = self.read(
            "read the key policy of key %s" % key_id, self.kms.get_key_policy, KeyId=key_id, PolicyName="default"
        )
        return policies.load_policy(found["Policy"])

    # ------------------------------------------------------------------ present

    def desired_policy(self):
        if self.params["policy"] is None:
            return None
        try:
            return policies.load_policy(self.params["policy"])
        except ValueError as e:
            raise Failure("policy: not a JSON document: %s" % e)

    def desired_tags(self):
        tags = self.params["tags"]
        if tags is None:
            return None
        if self.tag_key and tags.get(self.tag_key) not in (None, self.alias):
            raise Failure(
                "tags: %s is the alias tag of this module and must be %s (or left out)" % (self.tag_key, self.alias)
            )
        return logic.desired_tags(tags, self.alias, self.tag_key)

    def present(self):
        metadata, alias_exists = self.find()
        result = self.create() if metadata is None else self.converge(metadata, alias_exists)
        result["alias"] = self.alias
        return result

    def create(self):
        p = self.params
        tags = self.tags if self.tags is not None else logic.desired_tags({}, self.alias, self.tag_key)
        kwargs = {
            "KeySpec": "SYMMETRIC_DEFAULT",
            "KeyUsage": "ENCRYPT_DECRYPT",
            "Origin": "AWS_KMS",
            "MultiRegion": False,
            "Tags": _tag_list(tags),
        }
        if p["description"] is not None:
            kwargs["Description"] = p["description"]
        if self.policy is not None:
            kwargs["Policy"] = json.dumps(self.policy)
        created = self.write("create %s" % self.label, self.kms.create_key, **kwargs)
        metadata = (created or {}).get("KeyMetadata") or {}
        key_id = metadata.get("KeyId")
        self.write("create alias %s" % self.alias, self.kms.create_alias, AliasName=self.alias, TargetKeyId=key_id)
        if p["enable_key_rotation"]:
            self.update(self.label, "rotation", False, True, self.kms.enable_key_rotation, KeyId=key_id)
        if not p["enabled"]:
            self.update(self.label, "state", "Enabled", "Disabled", self.kms.disable_key, KeyId=key_id)
        after = {
            "alias": self.alias,
            "key_state": "Enabled" if p["enabled"] else "Disabled",
            "description": p["description"] or "",
            "enable_key_rotation": p["enable_key_rotation"],
            "policy": self.policy,
            "tags": tags,
        }
        self.set_diff(None, after)
        result = {"key_state": after["key_state"]}
        if key_id:
            result.update(key_id=key_id, key_arn=metadata.get("Arn"))
        return result

    def converge(self, metadata, alias_exists):
        p = self.params
        key_id, state = metadata["KeyId"], metadata["KeyState"]
        if state not in ("Enabled", "Disabled", "PendingDeletion"):
            raise Failure(
                "key %s of %s is in state %s; this module manages only Enabled, Disabled and PendingDeletion keys"
                % (key_id, self.alias, state),
                key_id=key_id,
                key_arn=metadata["Arn"],
            )
        # An enabled key's rotation is read with the rest; any other state's once the key is enabled (below).
        current_policy, current_tags, enabled_rotation = self.concurrently(
            lambda: self.policy_of(key_id) if self.policy is not None else None,
            lambda: self.tags_of(key_id),
            lambda: self.rotation_of(key_id) if state == "Enabled" else None,
        )
        was_enabled = state == "Enabled"
        before = {
            "alias": self.alias if alias_exists else None,
            "key_state": state,
            "description": metadata.get("Description") or "",
            "enable_key_rotation": None,  # read below, once the key is out of PendingDeletion
            "policy": current_policy,
            "tags": current_tags,
        }
        if self.policy is None:
            before.pop("policy")
        after = dict(before)

        if state == "PendingDeletion":
            self.write("%s: cancel the scheduled deletion" % self.label, self.kms.cancel_key_deletion, KeyId=key_id)
            state = "Disabled"
        if p["enabled"] and state == "Disabled":
            self.update(self.label, "state", "Disabled", "Enabled", self.kms.enable_key, KeyId=key_id)
            state = "Enabled"
        rotation = enabled_rotation if was_enabled else self.rotation_of(key_id)
        before["enable_key_rotation"] = after["enable_key_rotation"] = rotation
        if not alias_exists:
            self.write("create alias %s" % self.alias, self.kms.create_alias, AliasName=self.alias, TargetKeyId=key_id)
            after["alias"] = self.alias
        if p["description"] is not None and before["description"] != p["description"]:
            self.update(
                self.label, "description", before["description"], p["description"],
                self.kms.update_key_description, KeyId=key_id, Description=p["description"],
            )
            after["description"] = p["description"]
        if self.policy is not None and not policies.policies_equal(current_policy, self.policy):
            differences = policies.statement_differences(current_policy, self.policy)
            self.write(
                "%s: key policy statements %s" % (self.label, differences),
                self.kms.put_key_policy, KeyId=key_id, PolicyName="default", Policy=json.dumps(self.policy),
            )
            after["policy"] = self.policy
        wanted_rotation = p["enable_key_rotation"]
        if rotation is not wanted_rotation:
            if state == "Enabled":
                call = self.kms.enable_key_rotation if wanted_rotation else self.kms.disable_key_rotation
                self.update(self.label, "rotation", rotation, wanted_rotation, call, KeyId=key_id)
                after["enable_key_rotation"] = wanted_rotation
            else:
                self.warn(
                    "key %s is disabled: KMS changes automatic rotation only on an enabled key; rotation left %s"
                    % (key_id, "unknown" if rotation is None else ("on" if rotation else "off"))
                )
        tags = self.tags
        if tags is None and self.tag_key and current_tags.get(self.tag_key) != self.alias:
            tags = dict(current_tags, **{self.tag_key: self.alias})
        after["tags"] = self.sync_tags(
            self.label, current_tags, tags,
            tag=lambda to_set: self.kms.tag_resource(aws_retry=True, KeyId=key_id, Tags=_tag_list(to_set)),
            untag=lambda keys: self.kms.untag_resource(aws_retry=True, KeyId=key_id, TagKeys=keys),
            purge=p["purge_tags"] and self.tags is not None,
        )
        if not p["enabled"] and state == "Enabled":
            self.update(self.label, "state", "Enabled", "Disabled", self.kms.disable_key, KeyId=key_id)
            state = "Disabled"
        after["key_state"] = state
        self.set_diff(before, after)
        return {"key_id": key_id, "key_arn": metadata["Arn"], "key_state": state}

    # ------------------------------------------------------------------ absent

    def kept_data(self, key_arn):
        """What the key still encrypts and would make unreadable once deleted (recovery points, snapshots, secrets)."""
        backup, rds, secrets = self.client("backup"), self.client("rds"), self.client("secretsmanager")

        def recovery_points():
            vaults = self.paginate("list the backup vaults", backup, "list_backup_vaults")["BackupVaultList"]
            found = []
            for vault in (v for v in vaults if v.get("EncryptionKeyArn") == key_arn):
                points = self.paginate("list the recovery points of vault %s" % vault["BackupVaultName"], backup,
                                       "list_recovery_points_by_backup_vault",
                                       BackupVaultName=vault["BackupVaultName"])["RecoveryPoints"]
                if points:
                    found.append("%d recovery points in backup vault %s" % (len(points), vault["BackupVaultName"]))
            return found

        def snapshots():
            found = self.paginate("list the manual DB cluster snapshots", rds, "describe_db_cluster_snapshots",
                                  SnapshotType="manual")["DBClusterSnapshots"]
            return ["DB cluster snapshot %s" % s["DBClusterSnapshotIdentifier"] for s in found
                    if s.get("KmsKeyId") == key_arn]

        def kept_secrets():
            found = self.paginate("list the secrets", secrets, "list_secrets")["SecretList"]
            key_id = key_arn.rsplit("/", 1)[-1]
            return ["secret %s" % s["Name"] for s in found
                    if s.get("KmsKeyId") in (key_arn, key_id, self.alias) and not s.get("DeletedDate")]

        return [item for items in self.concurrently(recovery_points, snapshots, kept_secrets) for item in items]

    def absent(self):
        p = self.params
        metadata = self.describe(self.alias)
        alias_exists = metadata is not None
        keys = [metadata] if alias_exists else self.tagged_keys()
        if p["keep_while_in_use"]:
            live = [key for key in keys if key["KeyState"] != "PendingDeletion"]
            kept_for = [item for key in live for item in self.kept_data(key["Arn"])]
            if kept_for:
                self.warn("%s kept: it still encrypts %s, which would become unreadable; delete them first to delete "
                          "the key" % (self.label, ", ".join(kept_for)))
                self.set_diff({"alias": self.alias}, {"alias": self.alias})
                return {"alias": self.alias, "key_state": keys[0]["KeyState"], "key_id": keys[0]["KeyId"],
                        "key_arn": keys[0]["Arn"], "kept_for": kept_for}
        before, after = [], []
        deletion_date = None
        for key in keys:
            before.append({"key_id": key["KeyId"], "key_state": key["KeyState"]})
            deletion_date = key.get("DeletionDate")
            if key["KeyState"] != "PendingDeletion":
                days = p["pending_window_days"]
                scheduled = self.write(
                    "%s: schedule the deletion of key %s in %d days" % (self.label, key["KeyId"], days),
                    self.kms.schedule_key_deletion,
                    KeyId=key["KeyId"],
                    PendingWindowInDays=p["pending_window_days"],
                )
                deletion_date = (scheduled or {}).get("DeletionDate")
            after.append({"key_id": key["KeyId"], "key_state": "PendingDeletion"})
        alias_after = self.alias if alias_exists else None
        if alias_exists and p["delete_alias"]:
            self.write("delete alias %s" % self.alias, self.kms.delete_alias, AliasName=self.alias)
            alias_after = None
        result = {"alias": self.alias, "key_state": "PendingDeletion" if keys else None}
        if keys:
            result.update(key_id=keys[0]["KeyId"], key_arn=keys[0]["Arn"])
        if deletion_date is not None:
            result["deletion_date"] = _iso(deletion_date)
        self.set_diff(
            {"alias": self.alias if alias_exists else None, "keys": before}, {"alias": alias_after, "keys": after}
        )
        return result


def main():
    argument_spec = dict(
        alias=dict(type="str", required=True, aliases=["key_alias"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        description=dict(type="str"),
        enabled=dict(type="bool", default=True),
        enable_key_rotation=dict(type="bool", default=True),
        policy=dict(type="json"),
        alias_tag_key=dict(type="str", default=logic.ALIAS_TAG_KEY, no_log=False),
        pending_window_days=dict(type="int", default=30, aliases=["pending_window", "deletion_delay"]),
        delete_alias=dict(type="bool", default=True),
        keep_while_in_use=dict(type="bool", default=False),
    )
    KmsKey.main(argument_spec, tags=True)


if __name__ == "__main__":
    main()
