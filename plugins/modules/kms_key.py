#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: kms_key
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
author:
  - tap.multiregion maintainers (!UNKNOWN)
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
  tags:
    description:
      - Tags of the key. The alias tag O(alias_tag_key) is added to them.
      - When not given, the tags are left as they are except that the alias tag is added.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags that are not in O(tags) (tags starting with C(aws:) are never touched).
    type: bool
    default: true
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
  delete_alias:
    description:
      - With O(state=absent), also delete the alias.
      - Keep the alias (C(false)) so that a later O(state=present) run finds the key pending deletion with one call
        and recovers it; without the alias the key is found by its alias tag (a listing of the keys).
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports every change it would make and writes nothing.
  diff_mode:
    support: full
    description: Shows the key's state, rotation, description, key policy, tags and alias before and after.
notes:
  - Retries throttling with jittered exponential backoff.
  - Read calls of a run with nothing to change are C(DescribeKey) (by alias), C(GetKeyPolicy) (only with O(policy)),
    C(GetKeyRotationStatus) and C(ListResourceTags).
  - Only symmetric encryption keys of origin C(AWS_KMS) in one region are managed (no multi-Region keys, grants,
    asymmetric or HMAC keys); use M(amazon.aws.kms_key) for those.
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
deletion_date:
  description: When a key pending deletion is deleted.
  returned: when O(state=absent) and the key is pending deletion
  type: str
  sample: "2025-01-31T12:00:00+00:00"
changes:
  description: What the module changed (or would change in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["create key for alias/tap-dev-us-east-1", "create alias alias/tap-dev-us-east-1", "enable key rotation"]
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.tap.multiregion.plugins.module_utils import kms as logic
from ansible_collections.tap.multiregion.plugins.module_utils.changes import AWS_ERRORS
from ansible_collections.tap.multiregion.plugins.module_utils.changes import ChangeRecorder

RETRY_CODES = ["ThrottlingException", "DependencyTimeoutException", "KMSInternalException"]
# Per-key errors that only mean "not this key" while searching keys by tag.
SKIP_KEY_CODES = ["AccessDeniedException", "NotFoundException", "KMSInvalidStateException"]


@AWSRetry.jittered_backoff(catch_extra_error_codes=RETRY_CODES)
def _paginate(client, method, **kwargs):
    # Paginators bypass the client's retry decorator, so the whole pagination is retried.
    return client.get_paginator(method).paginate(**kwargs).build_full_result()


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


class KmsKey(ChangeRecorder):
    def __init__(self, module):
        super(KmsKey, self).__init__(module)
        self.alias = logic.canonical_alias(module.params["alias"])
        self.tag_key = module.params["alias_tag_key"] or None
        self.client = module.client(
            "kms", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=RETRY_CODES)
        )

    def act(self, what, method, **kwargs):
        return self.write(self.client, what, method, **kwargs)

    # ------------------------------------------------------------------ reads

    def describe(self, key_id):
        try:
            return self.client.describe_key(aws_retry=True, KeyId=key_id)["KeyMetadata"]
        except is_boto3_error_code("NotFoundException"):
            return None
        except AWS_ERRORS as e:  # pylint: disable=duplicate-except
            self.fail(e, "describe key %s" % key_id)

    def tags_of(self, key_id):
        try:
            return logic.tags_from_aws(_paginate(self.client, "list_resource_tags", KeyId=key_id)["Tags"])
        except AWS_ERRORS as e:
            self.fail(e, "list the tags of key %s" % key_id)

    def tagged_keys(self):
        """Metadata of every key that carries the alias tag with this alias (a listing of the region's keys)."""
        if not self.tag_key:
            return []
        try:
            keys = _paginate(self.client, "list_keys")["Keys"]
        except AWS_ERRORS as e:
            self.fail(e, "list the keys to find the one tagged %s=%s" % (self.tag_key, self.alias))
        found = []
        for key in keys:
            try:
                tags = _paginate(self.client, "list_resource_tags", KeyId=key["KeyId"])["Tags"]
            except is_boto3_error_code(SKIP_KEY_CODES):
                continue  # AWS managed keys, keys of other principals, keys being deleted
            except AWS_ERRORS as e:  # pylint: disable=duplicate-except
                self.fail(e, "list the tags of key %s" % key["KeyId"])
            if logic.tags_from_aws(tags).get(self.tag_key) == self.alias:
                metadata = self.describe(key["KeyId"])
                if metadata and metadata.get("KeyManager", "CUSTOMER") == "CUSTOMER":
                    found.append(metadata)
        return found

    def find(self):
        """(key metadata or None, whether the alias exists). The listing by tag runs only without the alias."""
        metadata = self.describe(self.alias)
        if metadata is not None:
            return metadata, True
        candidates = self.tagged_keys()
        if len(candidates) > 1:
            self.module.warn(
                "%d keys carry the tag %s=%s; adopting %s"
                % (len(candidates), self.tag_key, self.alias, logic.pick_key(candidates)["KeyId"])
            )
        return logic.pick_key(candidates), False

    def rotation_of(self, key_id):
        """Whether automatic rotation is on; None when KMS does not tell (a key pending deletion, in check mode)."""
        try:
            return self.client.get_key_rotation_status(aws_retry=True, KeyId=key_id)["KeyRotationEnabled"]
        except is_boto3_error_code(["KMSInvalidStateException", "UnsupportedOperationException"]):
            return None
        except AWS_ERRORS as e:  # pylint: disable=duplicate-except
            self.fail(e, "read the rotation status of key %s" % key_id)

    def policy_of(self, key_id):
        try:
            document = self.client.get_key_policy(aws_retry=True, KeyId=key_id, PolicyName="default")["Policy"]
        except AWS_ERRORS as e:
            self.fail(e, "read the key policy of key %s" % key_id)
        return logic.load_policy(document)

    # ------------------------------------------------------------------ present

    def desired_policy(self):
        if self.params["policy"] is None:
            return None
        try:
            return logic.load_policy(self.params["policy"])
        except ValueError as e:
            self.module.fail_json(msg="policy: not a JSON document: %s" % e)

    def desired_tags(self):
        tags = self.params["tags"] or {}
        if self.tag_key and tags.get(self.tag_key) not in (None, self.alias):
            self.module.fail_json(
                msg="tags: %s is the alias tag of this module and must be %s (or left out)" % (self.tag_key, self.alias)
            )
        return logic.desired_tags(tags, self.alias, self.tag_key)

    def present(self):
        policy = self.desired_policy()
        tags = self.desired_tags()
        metadata, alias_exists = self.find()
        result = self.create(policy, tags) if metadata is None else self.converge(metadata, alias_exists, policy, tags)
        result.update(changed=bool(self.changes), changes=self.changes, alias=self.alias)
        if not self.module._diff:
            result.pop("diff", None)
        self.module.exit_json(**result)

    def create(self, policy, tags):
        p = self.params
        kwargs = {
            "KeySpec": "SYMMETRIC_DEFAULT",
            "KeyUsage": "ENCRYPT_DECRYPT",
            "Origin": "AWS_KMS",
            "MultiRegion": False,
            "Tags": logic.tags_to_aws(tags),
        }
        if p["description"] is not None:
            kwargs["Description"] = p["description"]
        if policy is not None:
            kwargs["Policy"] = json.dumps(policy)
        created = self.act("create key for %s" % self.alias, "create_key", **kwargs)
        metadata = (created or {}).get("KeyMetadata") or {}
        key_id = metadata.get("KeyId")
        self.act("create alias %s" % self.alias, "create_alias", AliasName=self.alias, TargetKeyId=key_id)
        if p["enable_key_rotation"]:
            self.act("enable key rotation", "enable_key_rotation", KeyId=key_id)
        if not p["enabled"]:
            self.act("disable key", "disable_key", KeyId=key_id)
        after = {
            "alias": self.alias,
            "key_state": "Enabled" if p["enabled"] else "Disabled",
            "description": p["description"] or "",
            "enable_key_rotation": p["enable_key_rotation"],
            "policy": policy,
            "tags": tags,
        }
        result = {"key_state": after["key_state"], "diff": {"before": None, "after": after}}
        if key_id:
            result.update(key_id=key_id, key_arn=metadata.get("Arn"))
        return result

    def converge(self, metadata, alias_exists, policy, tags):
        p = self.params
        key_id, state = metadata["KeyId"], metadata["KeyState"]
        if state not in ("Enabled", "Disabled", "PendingDeletion"):
            self.module.fail_json(
                msg="key %s of %s is in state %s; this module manages only Enabled, Disabled and PendingDeletion keys"
                % (key_id, self.alias, state),
                key_id=key_id,
                key_arn=metadata["Arn"],
            )
        current_policy = self.policy_of(key_id) if policy is not None else None
        current_tags = self.tags_of(key_id)
        before = {
            "alias": self.alias if alias_exists else None,
            "key_state": state,
            "description": metadata.get("Description") or "",
            "enable_key_rotation": None,  # read below, once the key is out of PendingDeletion
            "policy": current_policy,
            "tags": current_tags,
        }
        if policy is None:
            before.pop("policy")
        after = dict(before)

        if state == "PendingDeletion":
            self.act("cancel the deletion of key %s" % key_id, "cancel_key_deletion", KeyId=key_id)
            state = "Disabled"
        if p["enabled"] and state == "Disabled":
            self.act("enable key %s" % key_id, "enable_key", KeyId=key_id)
            state = "Enabled"
        rotation = self.rotation_of(key_id)
        before["enable_key_rotation"] = after["enable_key_rotation"] = rotation
        if not alias_exists:
            self.act("create alias %s" % self.alias, "create_alias", AliasName=self.alias, TargetKeyId=key_id)
            after["alias"] = self.alias
        if p["description"] is not None and before["description"] != p["description"]:
            self.act("update the description", "update_key_description", KeyId=key_id, Description=p["description"])
            after["description"] = p["description"]
        if policy is not None and not logic.policies_equal(current_policy, policy):
            self.act(
                "update the key policy", "put_key_policy", KeyId=key_id, PolicyName="default", Policy=json.dumps(policy)
            )
            after["policy"] = policy
        wanted_rotation = p["enable_key_rotation"]
        if rotation is not wanted_rotation:
            if state == "Enabled":
                if wanted_rotation:
                    self.act("enable key rotation", "enable_key_rotation", KeyId=key_id)
                else:
                    self.act("disable key rotation", "disable_key_rotation", KeyId=key_id)
                after["enable_key_rotation"] = wanted_rotation
            else:
                self.module.warn(
                    "key %s is disabled: KMS changes automatic rotation only on an enabled key; rotation left %s"
                    % (key_id, "unknown" if rotation is None else ("on" if rotation else "off"))
                )
        to_set, to_remove = logic.tag_changes(current_tags, tags, p["purge_tags"] and p["tags"] is not None)
        if to_remove:
            self.act("untag: %s" % ", ".join(to_remove), "untag_resource", KeyId=key_id, TagKeys=to_remove)
        if to_set:
            self.act(
                "tag: %s" % ", ".join(sorted(to_set)), "tag_resource", KeyId=key_id, Tags=logic.tags_to_aws(to_set)
            )
        after["tags"] = dict({k: v for k, v in current_tags.items() if k not in to_remove}, **to_set)
        if not p["enabled"] and state == "Enabled":
            self.act("disable key %s" % key_id, "disable_key", KeyId=key_id)
            state = "Disabled"
        after["key_state"] = state
        return {
            "key_id": key_id,
            "key_arn": metadata["Arn"],
            "key_state": state,
            "diff": {"before": before, "after": after},
        }

    # ------------------------------------------------------------------ absent

    def absent(self):
        p = self.params
        metadata = self.describe(self.alias)
        alias_exists = metadata is not None
        keys = [metadata] if alias_exists else self.tagged_keys()
        before, after = [], []
        deletion_date = None
        for key in keys:
            before.append({"key_id": key["KeyId"], "key_state": key["KeyState"]})
            deletion_date = key.get("DeletionDate")
            if key["KeyState"] != "PendingDeletion":
                scheduled = self.act(
                    "schedule the deletion of key %s in %d days" % (key["KeyId"], p["pending_window_days"]),
                    "schedule_key_deletion",
                    KeyId=key["KeyId"],
                    PendingWindowInDays=p["pending_window_days"],
                )
                deletion_date = (scheduled or {}).get("DeletionDate")
            after.append({"key_id": key["KeyId"], "key_state": "PendingDeletion"})
        alias_after = self.alias if alias_exists else None
        if alias_exists and p["delete_alias"]:
            self.act("delete alias %s" % self.alias, "delete_alias", AliasName=self.alias)
            alias_after = None
        result = {"alias": self.alias, "key_state": "PendingDeletion" if keys else None}
        if keys:
            result.update(key_id=keys[0]["KeyId"], key_arn=keys[0]["Arn"])
        if deletion_date is not None:
            result["deletion_date"] = _iso(deletion_date)
        self.exit(
            result,
            {"alias": self.alias if alias_exists else None, "keys": before},
            {"alias": alias_after, "keys": after},
        )


def main():
    argument_spec = dict(
        alias=dict(type="str", required=True, aliases=["key_alias"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        description=dict(type="str"),
        enabled=dict(type="bool", default=True),
        enable_key_rotation=dict(type="bool", default=True),
        policy=dict(type="json"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        alias_tag_key=dict(type="str", default=logic.ALIAS_TAG_KEY, no_log=False),
        pending_window_days=dict(type="int", default=30, aliases=["pending_window", "deletion_delay"]),
        delete_alias=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    error = logic.check_pending_window(module.params["pending_window_days"])
    if error:
        module.fail_json(msg=error)
    alias = logic.canonical_alias(module.params["alias"])
    if alias.startswith("alias/aws/"):
        module.fail_json(msg="alias: %s is reserved for AWS managed keys" % alias)
    key = KmsKey(module)
    if module.params["state"] == "present":
        key.present()
    else:
        key.absent()


if __name__ == "__main__":
    main()
