#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: dynamodb_global_table
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
author:
  - tap.multiregion maintainers (!UNKNOWN)
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
  tags:
    description:
      - Tags of the table (and, unless a replica sets its own, of every replica).
      - Omit to leave tags unmanaged.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags that are not in O(tags) (or the replica's C(tags)).
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
  wait_timeout:
    description: Seconds to wait for the table and its replicas to become C(ACTIVE) after each change.
    type: int
    default: 1800
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - tap.multiregion.attributes
notes:
  - Global tables version 2017.11.29 are not managed; upgrade them to 2019.11.21 first.
  - Throttling (C(ThrottlingException), C(LimitExceededException)) is retried with jittered backoff.
  - In check mode a KMS alias that does not exist yet (created by the same, not yet applied run) is reported with
    a warning and compared as given.
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
changes:
  description: The changes made (or, in check mode, that would be made), in order, one AWS write each.
  returned: always
  type: list
  elements: dict
  sample:
    - {action: create_replica, region: us-east-2, kms_key_arn: "arn:aws:kms:us-east-2:123456789012:key/..."}
    - {action: set_point_in_time_recovery, region: us-east-2, enabled: true}
diff:
  description: Before and after view of the table, its settings and its replicas (in diff mode, C(--diff)).
  returned: when diff mode is on
  type: dict
"""

import time

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
# Not module.warn: amazon.aws 10's AnsibleAWSModule also copies its warnings into the result,
# which ansible-core 2.19 answers with a deprecation warning.
from ansible.module_utils.common.warnings import warn

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.tap.multiregion.plugins.module_utils.dynamodb_global import (
    PAY_PER_REQUEST,
    STREAM_VIEW_TYPE,
    boto3_tags_to_dict,
    expected_state,
    failed_statuses,
    is_settled,
    key_schema_from_params,
    plan_absent,
    plan_present,
    plan_region_settings,
    settings_from_aws,
    state_from_description,
    summarize,
)

RETRY_CODES = ["ThrottlingException", "LimitExceededException"]
POLL_SECONDS = 5
SETTINGS_ACTIONS = ("set_deletion_protection", "set_point_in_time_recovery", "tag", "untag")


def _json_safe(value):
    """DescribeTable carries datetimes; return ISO strings so the result is plain JSON."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _error_code(exc):
    return exc.response.get("Error", {}).get("Code", "") if hasattr(exc, "response") else ""


class GlobalTable:
    """AWS side of the module: reads state, executes planned changes, waits between them."""

    def __init__(self, module):
        self.module = module
        self.name = module.params["name"]
        self.region = module.region
        self._clients = {}
        self.arn = None

    # ------------------------------------------------------------------ clients
    def client(self, service, region=None):
        region = region or self.region
        key = (service, region)
        if key not in self._clients:
            retry = AWSRetry.jittered_backoff(retries=10, catch_extra_error_codes=RETRY_CODES)
            self._clients[key] = self.module.client(service, region=region, retry_decorator=retry)
        return self._clients[key]

    def ddb(self, region=None):
        return self.client("dynamodb", region)

    # ------------------------------------------------------------------ reading
    def describe(self, region=None):
        try:
            return self.ddb(region).describe_table(aws_retry=True, TableName=self.name)["Table"]
        except botocore.exceptions.ClientError as e:
            if _error_code(e) == "ResourceNotFoundException":
                return None
            self.module.fail_json_aws(e, msg="Failed to describe table %s in %s" % (self.name, region or self.region))
        except botocore.exceptions.BotoCoreError as e:
            self.module.fail_json_aws(e, msg="Failed to describe table %s in %s" % (self.name, region or self.region))

    def read_settings(self, region, description):
        """Deletion protection (from the description), PITR and tags of the table in one region."""
        client = self.ddb(region)
        try:
            backups = client.describe_continuous_backups(aws_retry=True, TableName=self.name)
            tags, token = [], None
            while True:
                kwargs = {"ResourceArn": description["TableArn"]}
                if token:
                    kwargs["NextToken"] = token
                page = client.list_tags_of_resource(aws_retry=True, **kwargs)
                tags.extend(page.get("Tags", []))
                token = page.get("NextToken")
                if not token:
                    break
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.module.fail_json_aws(e, msg="Failed to read settings of table %s in %s" % (self.name, region))
        return settings_from_aws(description, backups.get("ContinuousBackupsDescription"), boto3_tags_to_dict(tags))

    def current_state(self):
        description = self.describe()
        if description is None:
            return None, None
        self.arn = description["TableArn"]
        settings = self.read_settings(self.region, description)
        replica_settings = {}
        for replica in description.get("Replicas") or []:
            region = replica["RegionName"]
            if region == self.region:
                continue
            replica_description = self.describe(region)
            if replica_description is not None:
                replica_settings[region] = self.read_settings(region, replica_description)
        return state_from_description(description, self.region, settings, replica_settings), description

    def resolve_kms_key(self, key, region):
        """Key id / alias name / alias ARN -> key ARN (what DynamoDB reports)."""
        if key.startswith("arn:") and ":key/" in key:
            return key
        try:
            return self.client("kms", region).describe_key(aws_retry=True, KeyId=key)["KeyMetadata"]["Arn"]
        except botocore.exceptions.ClientError as e:
            if _error_code(e) == "NotFoundException" and self.module.check_mode:
                warn("KMS key %s does not exist in %s yet; check mode compares it as given" % (key, region))
                return key
            self.module.fail_json_aws(e, msg="Failed to resolve KMS key %s in %s" % (key, region))
        except botocore.exceptions.BotoCoreError as e:
            self.module.fail_json_aws(e, msg="Failed to resolve KMS key %s in %s" % (key, region))

    # ------------------------------------------------------------------ waiting
    def wait(self, region=None, predicate=is_settled, what="ACTIVE"):
        """Poll DescribeTable in `region` until predicate(description) (None = table gone) holds."""
        deadline = time.monotonic() + self.module.params["wait_timeout"]
        while True:
            description = self.describe(region)
            if description is not None:
                failed = failed_statuses(description)
                if failed:
                    self.module.fail_json(
                        msg="Table %s: %s"
                        % (
                            self.name,
                            ", ".join("%s is %s" % (r or region or self.region, s) for r, s in failed),
                        ),
                        table=camel_dict_to_snake_dict(_json_safe(description)),
                    )
            if predicate(description):
                return description
            if time.monotonic() >= deadline:
                self.module.fail_json(
                    msg="Timed out after %ss waiting for table %s in %s to become %s"
                    % (self.module.params["wait_timeout"], self.name, region or self.region, what)
                )
            time.sleep(POLL_SECONDS)

    def wait_settled(self, region=None):
        return self.wait(region, lambda d: d is not None and is_settled(d))

    def wait_replica(self, replica_region, present):
        def done(d):
            if d is None or not is_settled(d):
                return False
            regions = {r["RegionName"] for r in d.get("Replicas") or []}
            return (replica_region in regions) == present

        what = "ACTIVE with replica %s %s" % (replica_region, "added" if present else "removed")
        return self.wait(None, done, what)

    # ------------------------------------------------------------------ writing
    def region_arn(self, region):
        parts = self.arn.split(":")
        parts[3] = region
        return ":".join(parts)

    def update_table(self, region=None, **kwargs):
        try:
            self.ddb(region).update_table(aws_retry=True, TableName=self.name, **kwargs)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.module.fail_json_aws(
                e, msg="Failed to update table %s in %s (%s)" % (self.name, region or self.region, ", ".join(kwargs))
            )

    def execute(self, change):
        action, region = change["action"], change["region"]
        try:
            if action == "create_table":
                self.create_table(change)
            elif action == "set_billing_mode":
                self.update_table(BillingMode=change["billing_mode"])
                self.wait_settled()
            elif action == "disable_stream":
                self.update_table(StreamSpecification={"StreamEnabled": False})
                self.wait_settled()
            elif action == "enable_stream":
                self.update_table(
                    StreamSpecification={"StreamEnabled": True, "StreamViewType": change["stream_view_type"]}
                )
                self.wait_settled()
            elif action == "set_kms_key":
                self.update_table(
                    SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": change["kms_key_arn"]}
                )
                self.wait_settled()
            elif action == "set_deletion_protection":
                self.update_table(region, DeletionProtectionEnabled=change["enabled"])
                self.wait_settled(region)
            elif action == "set_point_in_time_recovery":
                self.set_point_in_time_recovery(region, change["enabled"])
            elif action == "tag":
                self.ddb(region).tag_resource(
                    aws_retry=True,
                    ResourceArn=self.region_arn(region),
                    Tags=ansible_dict_to_boto3_tag_list(change["tags"]),
                )
            elif action == "untag":
                self.ddb(region).untag_resource(
                    aws_retry=True, ResourceArn=self.region_arn(region), TagKeys=change["keys"]
                )
            elif action == "create_replica":
                self.update_table(
                    ReplicaUpdates=[{"Create": {"RegionName": region, "KMSMasterKeyId": change["kms_key_arn"]}}]
                )
                self.wait_replica(region, present=True)
            elif action == "set_replica_kms_key":
                self.update_table(
                    ReplicaUpdates=[{"Update": {"RegionName": region, "KMSMasterKeyId": change["kms_key_arn"]}}]
                )
                self.wait_settled()
            elif action == "delete_replica":
                self.update_table(ReplicaUpdates=[{"Delete": {"RegionName": region}}])
                self.wait_replica(region, present=False)
            elif action == "delete_table":
                self.ddb().delete_table(aws_retry=True, TableName=self.name)
                self.wait(None, lambda d: d is None, "deleted")
            else:  # pragma: no cover - plan and executor are kept in sync by the unit tests
                self.module.fail_json(msg="internal error: unknown change %s" % action)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.module.fail_json_aws(
                e, msg="Failed to %s for table %s in %s" % (action.replace("_", " "), self.name, region)
            )

    def create_table(self, change):
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
        description = self.ddb().create_table(aws_retry=True, **kwargs)["TableDescription"]
        self.arn = description["TableArn"]
        self.wait_settled()

    def set_point_in_time_recovery(self, region, enabled):
        # Right after CreateTable, AWS answers ContinuousBackupsUnavailableException for a while: retry it.
        retry = AWSRetry.jittered_backoff(
            retries=10, catch_extra_error_codes=RETRY_CODES + ["ContinuousBackupsUnavailableException"]
        )
        retry(self.ddb(region).client.update_continuous_backups)(
            TableName=self.name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": enabled}
        )


def desired_state(module, table):
    params = module.params
    tags = params["tags"]
    kms_key_arn = table.resolve_kms_key(params["kms_key"], table.region)
    replicas = {}
    for replica in params["replicas"]:
        region = replica["region"]
        if region in replicas:
            module.fail_json(msg="replicas: region %s is listed more than once" % region)
        replicas[region] = {
            "kms_key_arn": table.resolve_kms_key(replica["kms_key"], region),
            "settings": {
                "deletion_protection": params["deletion_protection"],
                "point_in_time_recovery": params["point_in_time_recovery"],
                "tags": replica["tags"] if replica.get("tags") is not None else tags,
            },
        }
    return {
        "name": params["name"],
        "region": table.region,
        "key_schema": key_schema_from_params(
            params["hash_key_name"], params["hash_key_type"], params["range_key_name"], params["range_key_type"]
        ),
        "billing_mode": PAY_PER_REQUEST,
        "stream_view_type": STREAM_VIEW_TYPE,
        "kms_key_arn": kms_key_arn,
        "settings": {
            "deletion_protection": params["deletion_protection"],
            "point_in_time_recovery": params["point_in_time_recovery"],
            "tags": tags,
        },
        "replicas": replicas,
    }


def run(module, table, current, current_description):
    params = module.params
    if params["state"] == "absent":
        desired = None
        changes, errors = plan_absent(current, params["allow_deletion_protection_removal"])
    else:
        desired = desired_state(module, table)
        changes, errors = plan_present(
            desired,
            current,
            allow_replica_removal=params["allow_replica_removal"],
            allow_deletion_protection_removal=params["allow_deletion_protection_removal"],
            purge_tags=params["purge_tags"],
        )
    diff = {
        "before": summarize(current),
        "after": summarize(expected_state(desired, current, params["purge_tags"])) if desired else {},
    }
    if errors:
        module.fail_json(msg="; ".join(errors), errors=errors, changes=changes, diff=diff)

    executed = changes
    final_description = current_description
    if changes and not module.check_mode:
        if current_description is not None and not is_settled(current_description):
            table.wait_settled()  # an earlier (interrupted) run may have left a change in progress
        executed = []
        pending = list(changes)
        while pending:
            change = pending.pop(0)
            table.execute(change)
            executed.append(change)
            if change["action"] == "create_replica" and desired:
                # Re-plan the new replica's own settings from what AWS actually created.
                region = change["region"]
                pending = [c for c in pending if not (c["region"] == region and c["action"] in SETTINGS_ACTIONS)]
                replica_description = table.wait_settled(region)
                actual = table.read_settings(region, replica_description)
                fresh = plan_region_settings(
                    region, desired["replicas"][region]["settings"], actual, params["purge_tags"]
                )
                pending = fresh + pending
        final_description = table.describe()

    if final_description is not None:
        replica_regions = sorted(
            r["RegionName"] for r in final_description.get("Replicas") or [] if r["RegionName"] != table.region
        )
    else:
        replica_regions = []
    if module.check_mode and desired:
        replica_regions = sorted(desired["replicas"])
    elif module.check_mode:
        replica_regions = []
    result = dict(
        changed=bool(executed),
        changes=executed,
        table=camel_dict_to_snake_dict(_json_safe(final_description)) if final_description else {},
        table_name=params["name"],
        table_arn=(final_description or {}).get("TableArn"),
        replica_regions=replica_regions,
    )
    if module._diff:
        result["diff"] = diff
    module.exit_json(**result)


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
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        allow_replica_removal=dict(type="bool", default=False),
        allow_deletion_protection_removal=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=1800),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["kms_key"])],
        supports_check_mode=True,
    )
    if not module.region:
        module.fail_json(msg="region: the table's owning region must be set (module_defaults or region)")
    table = GlobalTable(module)
    current, description = table.current_state()
    run(module, table, current, description)


if __name__ == "__main__":
    main()
