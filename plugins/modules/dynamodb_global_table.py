#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: dynamodb_global_table
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
  - tap.multiregion.attributes
short_description: Manage a DynamoDB global table (version 2019.11.21) and its replicas in one invocation
version_added: 0.1.0
description:
  - Creates, updates or deletes a DynamoDB table and its global table replicas (version 2019.11.21) from the
    region the module connects to (the table's owning region).
  - One invocation manages the whole table, on-demand billing (C(PAY_PER_REQUEST)), a C(NEW_AND_OLD_IMAGES)
    stream, server-side encryption with a customer managed KMS key, deletion protection, point-in-time recovery,
    tags and the replicas, each replica encrypted with a KMS key of its own region.
  - The table is described once (plus each replica region's own settings); only what differs is changed.
    A run with nothing to change makes no write call and returns C(changed=false).
  - Follows the rules of the DynamoDB API, one replica change per C(UpdateTable) call, the table and every
    replica C(ACTIVE) before the next change, the stream enabled before the first replica is added.
  - Deletion protection, point-in-time recovery and tags are per-region settings in DynamoDB (not replicated),
    so they are applied to the table and to every replica.
  - Removing a replica that is no longer listed is refused unless O(allow_replica_removal=true).
options:
  name:
    description: Name of the table (the same in every region).
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the table and its replicas.
      - V(absent) deletes every replica first, then the table.
    type: str
    choices: [present, absent]
    default: present
  hash_key_name:
    description: Name of the partition (hash) key attribute.
    type: str
    default: session_id
  hash_key_type:
    description: Type of the partition key attribute (S string, N number, B binary).
    type: str
    choices: [S, N, B]
    default: S
  range_key_name:
    description: Name of the sort (range) key attribute; omit for a table without sort key.
    type: str
  range_key_type:
    description: Type of the sort key attribute.
    type: str
    choices: [S, N, B]
    default: S
  kms_key:
    description:
      - Customer managed KMS key that encrypts the table in its own region, as key ID, key ARN, alias name
        (C(alias/tap-dev-us-east-1)) or alias ARN.
      - Resolved with KMS C(DescribeKey) to the key ARN, which is what DynamoDB reports and what is compared.
      - Required when O(state=present).
    type: str
  replicas:
    description:
      - The replicas of the global table, one per other region. An empty list means a single-region table.
      - Replicas of the table that are not listed are removed only with O(allow_replica_removal=true).
    type: list
    elements: dict
    default: []
    suboptions:
      region:
        description: The replica's AWS region (not the table's own region).
        type: str
        required: true
      kms_key:
        description: Customer managed KMS key in the replica's region (key ID, key ARN, alias name or alias ARN).
        type: str
        required: true
      tags:
        description: Tags of the replica table; defaults to O(tags).
        type: dict
  point_in_time_recovery:
    description: Enable point-in-time recovery on the table and on every replica.
    type: bool
    default: true
  deletion_protection:
    description:
      - Enable deletion protection on the table and on every replica.
      - Turning it off here is explicit; O(state=absent) and replica removal lift it only with
        O(allow_deletion_protection_removal=true).
    type: bool
    default: true
  allow_replica_removal:
    description: Allow removing replicas of the table that are not in O(replicas).
    type: bool
    default: false
  allow_deletion_protection_removal:
    description:
      - Allow lifting deletion protection to delete the table (O(state=absent)) or a replica being removed.
    type: bool
    default: false
  wait:
    description:
      - Wait (with progress lines) for the table and its replicas to become C(ACTIVE) after each change.
      - With C(false) each change starts as soon as DynamoDB accepts it (an C(UpdateTable) refused with
        C(ResourceInUseException) while an earlier change runs is retried) and the module returns without waiting
        for the last one. The settings of a replica still being created (point-in-time recovery, deletion
        protection, tags) are then left to the next run, with a warning, so a later task with O(wait=true) can
        finish the table while other work overlaps the wait.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for the table and its replicas to become C(ACTIVE) after each change, and for DynamoDB to
        accept a change while an earlier one is still running.
    type: int
    default: 1800
notes:
  - O(tags) are the tags of the table and, unless a replica sets its own, of every replica; O(purge_tags) applies to
    each region.
  - Read calls of a run with nothing to change are C(DescribeTable) and C(kms:DescribeKey) of each key given by
    alias (at the same time), then in every region of the table C(DescribeTable) (replicas),
    C(DescribeContinuousBackups) and C(ListTagsOfResource), all at the same time.
  - Global tables version 2017.11.29 are not managed; upgrade them to 2019.11.21 first.
  - Throttling (C(ThrottlingException), C(LimitExceededException)) is retried with jittered backoff. Replicas take
    minutes to create or delete, and DynamoDB accepts one replica change at a time.
  - In check mode a KMS alias that does not exist yet (created by the same, not yet applied run) is reported with
    a warning and compared as given.
author:
  - tap.multiregion maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Ensure the sessions global table with replicas in the other regions (us-east-1)
  tap.multiregion.dynamodb_global_table:
    name: sessions-dev
    kms_key: alias/tap-dev-us-east-1
    replicas:
      - region: us-east-2
        kms_key: alias/tap-dev-us-east-2
      - region: eu-west-1
        kms_key: alias/tap-dev-eu-west-1
    deletion_protection: false
    tags:
      Environment: dev
      CostCenter: platform

- name: Remove the eu-west-1 replica (explicitly allowed)
  tap.multiregion.dynamodb_global_table:
    name: sessions-dev
    kms_key: alias/tap-dev-us-east-1
    replicas:
      - region: us-east-2
        kms_key: alias/tap-dev-us-east-2
    allow_replica_removal: true

- name: Delete the table and all replicas, lifting deletion protection
  tap.multiregion.dynamodb_global_table:
    name: sessions-prod
    state: absent
    allow_deletion_protection_removal: true
"""

RETURN = r"""
table:
  description: The table as DescribeTable reports it in the owning region, in snake_case (empty when absent).
  returned: always
  type: dict
  sample:
    table_name: sessions-dev
    table_arn: arn:aws:dynamodb:us-east-1:123456789012:table/sessions-dev
    table_status: ACTIVE
    billing_mode_summary: {billing_mode: PAY_PER_REQUEST}
    stream_specification: {stream_enabled: true, stream_view_type: NEW_AND_OLD_IMAGES}
    sse_description: {status: ENABLED, sse_type: KMS, kms_master_key_arn: "arn:aws:kms:us-east-1:123456789012:key/..."}
    global_table_version: "2019.11.21"
    replicas: [{region_name: us-east-2, replica_status: ACTIVE, kms_master_key_id: "arn:aws:kms:us-east-2:..."}]
changes:
  description: One sentence per change made (or, in check mode, that would be made), naming the resource and attribute.
  returned: always
  type: list
  elements: str
  sample:
    - "create replica us-east-2 of table sessions-dev (KMS key key/1234abcd-12ab-34cd-56ef-1234567890ab)"
    - "replica us-east-2 of table sessions-dev: point-in-time recovery false -> true"
table_name:
  description: Name of the table.
  returned: always
  type: str
  sample: sessions-dev
table_arn:
  description: ARN of the table in the owning region (null in check mode before the table exists).
  returned: always
  type: str
  sample: arn:aws:dynamodb:us-east-1:123456789012:table/sessions-dev
replica_regions:
  description: Sorted regions of the replicas (after the change; in check mode the planned ones).
  returned: always
  type: list
  elements: str
  sample: [eu-west-1, us-east-2]
diff:
  description: Before and after view of the table, its settings and its replicas (in diff mode, C(--diff)).
  returned: when diff mode is on
  type: dict
"""

import time

try:
    import botocore.exceptions
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.tap.multiregion.plugins.module_utils import base
from ansible_collections.tap.multiregion.plugins.module_utils import dynamodb_global as dg
from ansible_collections.tap.multiregion.plugins.module_utils.base import AwsResource
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure
from ansible_collections.tap.multiregion.plugins.module_utils.base import Propagation
from ansible_collections.tap.multiregion.plugins.module_utils.base import error_code

POLL_SECONDS = 5.0
# DynamoDB accepts one change of a table at a time: while one runs, UpdateTable (and the other
# writes of the table) answer ResourceInUseException. Right after CreateTable, point-in-time
# recovery answers ContinuousBackupsUnavailableException for a while.
BUSY_CODES = ("ResourceInUseException",)
PITR_BUSY_CODES = BUSY_CODES + ("ContinuousBackupsUnavailableException",)
# A table or replica being created has no backups or tags to read yet.
SETTINGS_MISSING = ("ResourceNotFoundException", "TableNotFoundException", "ContinuousBackupsUnavailableException")


def _json_safe(value):
    """DescribeTable carries datetimes; return ISO strings so the result is plain JSON."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class GlobalTable(AwsResource):
    SERVICE = "dynamodb"

    def __init__(self, module):
        super(GlobalTable, self).__init__(module)
        self.name = self.params["name"]
        self.arn = None
        timeout = self.params["wait_timeout"]
        self.busy = Propagation(BUSY_CODES, seconds=timeout, delay=POLL_SECONDS)
        self.pitr_busy = Propagation(PITR_BUSY_CODES, seconds=timeout, delay=POLL_SECONDS)

    def validate(self):
        if not self.region:
            raise Failure("region: the table's owning region must be set (module_defaults or region)")
        regions = [replica["region"] for replica in self.params["replicas"]]
        duplicates = sorted(set(r for r in regions if regions.count(r) > 1))
        if duplicates:
            raise self.invalid("replicas", duplicates[0], "list each region once")

    def ddb(self, region=None):
        return self.client("dynamodb", region or self.region)

    def label(self, region):
        return dg.table_label(self.name, self.region, region)

    # ------------------------------------------------------------------ reads
    def describe(self, region=None):
        found = self.read("describe %s" % self.label(region or self.region), self.ddb(region).describe_table,
                          TableName=self.name, missing="ResourceNotFoundException")
        return found["Table"] if found else None

    def read_region(self, region, arn, description_needed):
        """Thunks reading one region's own settings: its description (replicas), PITR and tags."""
        client, label = self.ddb(region), self.label(region)
        return [
            (lambda: self.describe(region)) if description_needed else (lambda: None),
            lambda: (self.read("read the backups of %s" % label, client.describe_continuous_backups,
                               TableName=self.name, missing=SETTINGS_MISSING) or {}),
            lambda: (self.paginate("list the tags of %s" % label, client, "list_tags_of_resource",
                                   ResourceArn=arn, missing=SETTINGS_MISSING) or {}).get("Tags", []),
        ]

    def current_state(self, keys=()):
        """(state or None, primary description or None, resolved keys): two rounds of reads at the same time."""
        found = self.concurrently(self.describe, *[lambda k=k: self.resolve_kms_key(*k) for k in keys])
        description, resolved = found[0], dict((key, found[1 + i]) for i, key in enumerate(keys))
        if description is None:
            return None, None, resolved
        self.arn = description["TableArn"]
        regions = [self.region] + [r["RegionName"] for r in description.get("Replicas") or []
                                   if r["RegionName"] != self.region]
        thunks = []
        for region in regions:
            thunks += self.read_region(region, dg.region_arn(self.arn, region), region != self.region)
        answers = self.concurrently(*thunks)
        settings, replica_settings = None, {}
        for index, region in enumerate(regions):
            regional, backups, tags = answers[3 * index: 3 * index + 3]
            regional = description if region == self.region else regional
            if regional is None:
                continue
            own = dg.settings_from_aws(regional, backups.get("ContinuousBackupsDescription"),
                                       boto3_tag_list_to_ansible_dict(tags))
            if region == self.region:
                settings = own
            else:
                replica_settings[region] = own
        return dg.state_from_description(description, self.region, settings, replica_settings), description, resolved

    def resolve_kms_key(self, key, region):
        """Key id / alias name / alias ARN -> key ARN (what DynamoDB reports)."""
        if key.startswith("arn:") and ":key/" in key:
            return key
        found = self.read("resolve KMS key %s in %s" % (key, region), self.client("kms", region).describe_key,
                          KeyId=key, missing="NotFoundException" if self.check_mode else ())
        if found is None:
            self.warn("KMS key %s does not exist in %s yet; check mode compares it as given" % (key, region))
            return key
        return found["KeyMetadata"]["Arn"]

    # ------------------------------------------------------------------ waiting
    def settled(self, region=None, done=dg.is_settled, what="ACTIVE"):
        """Wait (progress lines, wait_timeout) until done(description) holds in region; None without waiting."""

        def check():
            description = self.describe(region)
            failed = dg.failed_statuses(description) if description is not None else []
            if failed:
                raise Failure("table %s: %s" % (self.name, ", ".join(
                    "%s is %s" % (r or region or self.region, s) for r, s in failed)),
                    table=camel_dict_to_snake_dict(_json_safe(description)))
            return (description or True) if done(description) else None

        return self.wait_until("%s to be %s" % (self.label(region or self.region), what), check,
                               timeout=self.params["wait_timeout"], poll=POLL_SECONDS)

    def replica_settled(self, region, present):
        def done(description):
            if description is None or not dg.is_settled(description):
                return False
            return (region in set(r["RegionName"] for r in description.get("Replicas") or [])) == present

        return self.settled(None, done, "ACTIVE with replica %s %s" % (region, "added" if present else "removed"))

    def accepted(self, what, call):
        """call, reporting progress while DynamoDB refuses it because an earlier change still runs."""
        last = [time.time()]

        def attempt(*args, **kwargs):
            try:
                return call(*args, **kwargs)
            except botocore.exceptions.ClientError as e:
                if error_code(e) in PITR_BUSY_CODES and time.time() - last[0] >= base.PROGRESS_EVERY:
                    self.progress("%s: waiting for DynamoDB to accept it (an earlier change still runs)" % what)
                    last[0] = time.time()
                raise

        return attempt

    # ------------------------------------------------------------------ writes
    def update_table(self, sentence, region=None, **kwargs):
        client = self.ddb(region)
        return self.write(sentence, self.accepted(sentence, client.update_table), TableName=self.name,
                          propagation=self.busy, **kwargs)

    def apply(self, change):
        """One planned change: its write, then (with wait) the wait for the table to settle."""
        action, region = change["action"], change["region"]
        if action == "tags":
            arn = dg.region_arn(self.arn, region) if self.arn else None
            client = self.ddb(region)
            return self.sync_tags(
                self.label(region), change["current"], change["tags"], purge=change["purge"],
                tag=lambda to_set: client.tag_resource(aws_retry=True, ResourceArn=arn,
                                                       Tags=ansible_dict_to_boto3_tag_list(to_set)),
                untag=lambda keys: client.untag_resource(aws_retry=True, ResourceArn=arn, TagKeys=keys),
            )
        sentence = dg.change_sentence(self.name, self.region, change)
        if action == "create_table":
            return self.create_table(sentence, change)
        if action == "set_point_in_time_recovery":
            client = self.ddb(region)
            return self.write(sentence, self.accepted(sentence, client.update_continuous_backups),
                              TableName=self.name, propagation=self.pitr_busy,
                              PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": change["enabled"]})
        if action == "delete_table":
            self.write(sentence, self.accepted(sentence, self.ddb().delete_table), TableName=self.name,
                       propagation=self.busy)
            return self.settled(None, lambda d: d is None, "deleted")
        if action == "set_deletion_protection":
            self.update_table(sentence, region, DeletionProtectionEnabled=change["enabled"])
            return self.settled(region)
        replica_updates = {
            "create_replica": lambda: {"Create": {"RegionName": region, "KMSMasterKeyId": change["kms_key_arn"]}},
            "set_replica_kms_key": lambda: {"Update": {"RegionName": region, "KMSMasterKeyId": change["kms_key_arn"]}},
            "delete_replica": lambda: {"Delete": {"RegionName": region}},
        }
        if action in replica_updates:
            self.update_table(sentence, ReplicaUpdates=[replica_updates[action]()])
            if action == "set_replica_kms_key":
                return self.settled()
            return self.replica_settled(region, present=action == "create_replica")
        table_updates = {
            "set_billing_mode": lambda: {"BillingMode": change.get("billing_mode")},
            "disable_stream": lambda: {"StreamSpecification": {"StreamEnabled": False}},
            "enable_stream": lambda: {"StreamSpecification": {"StreamEnabled": True,
                                                              "StreamViewType": change.get("stream_view_type")}},
            "set_kms_key": lambda: {"SSESpecification": {"Enabled": True, "SSEType": "KMS",
                                                         "KMSMasterKeyId": change.get("kms_key_arn")}},
        }
        self.update_table(sentence, **table_updates[action]())
        return self.settled()

    def create_table(self, sentence, change):
        schema = change["key_schema"]
        kwargs = dict(
            TableName=self.name,
            KeySchema=[{"AttributeName": k["name"], "KeyType": k["key_type"]} for k in schema],
            AttributeDefinitions=[{"AttributeName": k["name"], "AttributeType": k["type"]} for k in schema],
            BillingMode=change["billing_mode"],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": change["stream_view_type"]},
            SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": change["kms_key_arn"]},
            DeletionProtectionEnabled=change["deletion_protection"],
        )
        if change["tags"]:
            kwargs["Tags"] = ansible_dict_to_boto3_tag_list(change["tags"])
        created = self.write(sentence, self.ddb().create_table, **kwargs)
        if created is not None:
            self.arn = created["TableDescription"]["TableArn"]
        return self.settled()

    def execute(self, changes, desired, current):
        """Apply the plan in order. A replica created gets its own settings from what AWS made of it, once it is
        ACTIVE; with wait=false those of replicas being created are left out: returns their regions."""
        wait = self.params["wait"]
        creating = set()
        if desired is not None and not self.check_mode:  # present: replicas a wait=false run left creating
            creating = set(r for r, replica in ((current or {}).get("replicas") or {}).items()
                           if replica.get("status") != dg.SETTLED)
        pending = [c for c in changes if not (c["action"] in dg.SETTINGS_ACTIONS and c["region"] in creating)]
        while pending:
            change = pending.pop(0)
            self.apply(change)
            if change["action"] != "create_replica" or self.check_mode:
                continue
            region = change["region"]
            # Its own settings are planned again from the replica as AWS made it.
            pending = [c for c in pending if not (c["region"] == region and c["action"] in dg.SETTINGS_ACTIONS)]
            if wait:
                pending = self.replica_settings(region, desired) + pending
            else:
                creating.add(region)
        return creating

    def replica_settings(self, region, desired):
        """The changes that give a replica just created its own settings (read from AWS once it is ACTIVE)."""
        described = self.settled(region)
        description = described if isinstance(described, dict) else self.describe(region)
        arn = dg.region_arn(self.arn, region)
        _described, backups, tags = self.concurrently(*self.read_region(region, arn, False))
        actual = dg.settings_from_aws(description or {}, backups.get("ContinuousBackupsDescription"),
                                      boto3_tag_list_to_ansible_dict(tags))
        return dg.plan_region_settings(region, desired["replicas"][region]["settings"], actual,
                                       self.params["purge_tags"])

    def finish_replicas(self, regions, desired, description):
        """wait=false: the settings of replicas that are ACTIVE by now; the others are left to the next run."""
        replicas = (description or {}).get("Replicas") or []
        statuses = dict((r["RegionName"], r.get("ReplicaStatus")) for r in replicas)
        for region in regions:
            if region not in (desired or {}).get("replicas", {}):
                continue
            if statuses.get(region) == dg.SETTLED:
                for change in self.replica_settings(region, desired):
                    self.apply(change)
            else:
                self.warn("replica %s of table %s is %s: its point-in-time recovery, deletion protection and tags "
                          "are set by the next run" % (region, self.name, statuses.get(region) or "not there yet"))

    # ------------------------------------------------------------------ states
    def desired_state(self, resolved):
        p = self.params
        replicas = {}
        for replica in p["replicas"]:
            region = replica["region"]
            replicas[region] = {
                "kms_key_arn": resolved[(replica["kms_key"], region)],
                "settings": {
                    "deletion_protection": p["deletion_protection"],
                    "point_in_time_recovery": p["point_in_time_recovery"],
                    "tags": replica["tags"] if replica.get("tags") is not None else p["tags"],
                },
            }
        return {
            "name": self.name,
            "region": self.region,
            "key_schema": dg.key_schema_from_params(
                p["hash_key_name"], p["hash_key_type"], p["range_key_name"], p["range_key_type"]),
            "billing_mode": dg.PAY_PER_REQUEST,
            "stream_view_type": dg.STREAM_VIEW_TYPE,
            "kms_key_arn": resolved[(p["kms_key"], self.region)],
            "settings": {
                "deletion_protection": p["deletion_protection"],
                "point_in_time_recovery": p["point_in_time_recovery"],
                "tags": p["tags"],
            },
            "replicas": replicas,
        }

    def run_plan(self, current, description, desired, changes, errors):
        p = self.params
        after = dg.summarize(dg.expected_state(desired, current, p["purge_tags"])) if desired else {}
        self.set_diff(dg.summarize(current), after)
        if errors:
            raise Failure("; ".join(errors), errors=errors, diff={"before": self.before, "after": self.after})
        if changes:
            creating = self.execute(changes, desired, current)
            if not self.check_mode:
                description = self.describe()
                if creating:
                    self.finish_replicas(sorted(creating), desired, description)
        if self.check_mode:
            regions = sorted(desired["replicas"]) if desired else []
        else:
            regions = sorted(r["RegionName"] for r in (description or {}).get("Replicas") or []
                             if r["RegionName"] != self.region)
        return {
            "table": camel_dict_to_snake_dict(_json_safe(description)) if description else {},
            "table_name": self.name,
            "table_arn": (description or {}).get("TableArn"),
            "replica_regions": regions,
        }

    def present(self):
        p = self.params
        keys = [(p["kms_key"], self.region)] + [(r["kms_key"], r["region"]) for r in p["replicas"]]
        current, description, resolved = self.current_state(keys)
        if description is not None and not dg.is_settled(description) and p["wait"] and not self.check_mode:
            self.settled()  # an earlier run (or wait=false) left a change running: plan from where it ends
            current, description, resolved = self.current_state(keys)
        desired = self.desired_state(resolved)
        changes, errors = dg.plan_present(desired, current, allow_replica_removal=p["allow_replica_removal"],
                                          allow_deletion_protection_removal=p["allow_deletion_protection_removal"],
                                          purge_tags=p["purge_tags"])
        return self.run_plan(current, description, desired, changes, errors)

    def absent(self):
        current, description, _resolved = self.current_state()
        changes, errors = dg.plan_absent(current, self.params["allow_deletion_protection_removal"])
        return self.run_plan(current, description, None, changes, errors)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        hash_key_name=dict(type="str", default="session_id"),
        hash_key_type=dict(type="str", choices=["S", "N", "B"], default="S"),
        range_key_name=dict(type="str"),
        range_key_type=dict(type="str", choices=["S", "N", "B"], default="S"),
        # A KMS key ID, ARN or alias name: an identifier, not a secret.
        kms_key=dict(type="str", no_log=False),
        replicas=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                region=dict(type="str", required=True),
                kms_key=dict(type="str", required=True, no_log=False),
                tags=dict(type="dict"),
            ),
        ),
        point_in_time_recovery=dict(type="bool", default=True),
        deletion_protection=dict(type="bool", default=True),
        allow_replica_removal=dict(type="bool", default=False),
        allow_deletion_protection_removal=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1800),
    )
    GlobalTable.main(argument_spec, required_if=[("state", "present", ["kms_key"])], tags=True)


if __name__ == "__main__":
    main()
