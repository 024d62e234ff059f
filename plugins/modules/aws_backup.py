#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aws_backup
short_description: Ensure an encrypted AWS Backup vault, a scheduled backup plan and its resource selection
version_added: 0.1.0
description:
  - In one invocation ensures an AWS Backup vault encrypted with a customer managed KMS key, a backup plan with one
    scheduled rule into that vault (recovery points kept I(retention_days) days) and a resource selection of the
    plan (the resources by ARN, backed up with the IAM role I(iam_role_arn)).
  - Compares what exists and changes only what differs (C(UpdateBackupPlan) for the rule; a selection, which AWS
    cannot modify, is replaced; tags). A run with nothing to change makes no write call and reports
    C(changed=false), in check mode too.
  - With I(state=absent) the selection and the plan are deleted; the vault is kept (it holds the recovery points)
    unless I(delete_vault=true) and it is empty.
author:
  - tap.multiregion maintainers (!UNKNOWN)
options:
  vault_name:
    description: Name of the backup vault.
    type: str
    required: true
  kms_key_arn:
    description:
      - KMS key the vault encrypts recovery points with. Required to create the vault; AWS cannot change the key of
        an existing vault (the module warns when it differs).
    type: str
  plan_name:
    description: Name of the backup plan.
    type: str
    required: true
  rule_name:
    description: Name of the plan's rule.
    type: str
    default: daily
  schedule_expression:
    description: When the rule runs (cron expression, UTC).
    type: str
    default: cron(0 5 ? * * *)
  retention_days:
    description: Days each recovery point is kept. Required when I(state=present).
    type: int
  start_window_minutes:
    description: Minutes after the scheduled time within which a backup must start. Left to AWS when not set.
    type: int
  completion_window_minutes:
    description: Minutes within which a started backup must complete. Left to AWS when not set.
    type: int
  selection_name:
    description: Name of the plan's resource selection.
    type: str
    default: resources
  iam_role_arn:
    description: IAM role AWS Backup assumes to back up the resources. Required when I(resources) is not empty.
    type: str
  resources:
    description: ARNs of the resources the plan backs up. Without resources the plan has no selection.
    type: list
    elements: str
    default: []
  state:
    description: Whether the plan and selection should exist.
    type: str
    choices: [present, absent]
    default: present
  delete_vault:
    description: With I(state=absent), also delete the vault (AWS refuses while it holds recovery points).
    type: bool
    default: false
  tags:
    description: Tags of the vault and the plan.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags that are not in I(tags).
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - tap.multiregion.attributes
"""

EXAMPLES = r"""
- name: Back up the Aurora cluster and the sessions table daily, keeping 30 days
  tap.multiregion.aws_backup:
    vault_name: tap-backup-prod-us-east-1
    kms_key_arn: "{{ baseline_kms_key_arn }}"
    plan_name: tap-backup-prod-us-east-1
    schedule_expression: cron(0 5 ? * * *)
    retention_days: 30
    selection_name: aurora-and-sessions
    iam_role_arn: "{{ backup_role_arn }}"
    resources:
      - "{{ aurora_cluster_arn }}"
      - arn:aws:dynamodb:us-east-1:123456789012:table/sessions-prod
    tags: "{{ tap_tags }}"
"""

RETURN = r"""
vault_arn:
  description: ARN of the backup vault.
  returned: when the vault exists (not a check-mode creation)
  type: str
plan_id:
  description: Id of the backup plan.
  returned: state=present, when the plan exists (not a check-mode creation)
  type: str
plan_arn:
  description: ARN of the backup plan.
  returned: state=present, when the plan exists (not a check-mode creation)
  type: str
plan_version_id:
  description: Version of the backup plan document.
  returned: state=present, when the plan exists (not a check-mode creation)
  type: str
selection_id:
  description: Id of the resource selection.
  returned: state=present, with resources (not a check-mode creation)
  type: str
warnings:
  description: Differences AWS does not allow to change (the vault's key).
  returned: when there are some
  type: list
  elements: str
"""

try:
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

# Not module.warn: amazon.aws 10's AnsibleAWSModule also copies its warnings into the result,
# which ansible-core 2.19 answers with a deprecation warning.
from ansible.module_utils.common.warnings import warn

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags


@AWSRetry.jittered_backoff()
def _paginate(client, operation, **params):
    return client.get_paginator(operation).paginate(**params).build_full_result()


def rule_view(rule):
    """The fields of a plan rule the module manages."""
    if not rule:
        return {}
    view = {
        "rule_name": rule.get("RuleName"),
        "target_backup_vault_name": rule.get("TargetBackupVaultName"),
        "schedule_expression": rule.get("ScheduleExpression"),
        "delete_after_days": (rule.get("Lifecycle") or {}).get("DeleteAfterDays"),
    }
    for key, api_name in (("start_window_minutes", "StartWindowMinutes"),
                          ("completion_window_minutes", "CompletionWindowMinutes")):
        if rule.get(api_name) is not None:
            view[key] = rule[api_name]
    return view


def desired_rule(params):
    rule = {
        "RuleName": params["rule_name"],
        "TargetBackupVaultName": params["vault_name"],
        "ScheduleExpression": params["schedule_expression"],
        "Lifecycle": {"DeleteAfterDays": params["retention_days"]},
    }
    if params["start_window_minutes"] is not None:
        rule["StartWindowMinutes"] = params["start_window_minutes"]
    if params["completion_window_minutes"] is not None:
        rule["CompletionWindowMinutes"] = params["completion_window_minutes"]
    return rule


def rules_differ(current_rules, wanted_rule):
    """True unless the plan has exactly one rule whose managed fields equal the wanted rule's."""
    if len(current_rules or []) != 1:
        return True
    have, want = rule_view(current_rules[0]), rule_view(wanted_rule)
    return any(have.get(key) != value for key, value in want.items())


class AwsBackup:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.client = module.client("backup", retry_decorator=AWSRetry.jittered_backoff())
        self.changed = False
        self.warnings = []

    def fail(self, e, msg):
        self.module.fail_json_aws(e, msg=msg)

    # ---- describe -----------------------------------------------------------------------------------------
    def describe_vault(self):
        name = self.params["vault_name"]
        try:
            return self.client.describe_backup_vault(aws_retry=True, BackupVaultName=name)
        # AWS answers AccessDeniedException, not ResourceNotFoundException, for a vault that does not exist.
        except is_boto3_error_code(["AccessDeniedException", "ResourceNotFoundException"]):
            return None
        except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
            self.fail(e, "Failed to describe backup vault %s" % name)

    def find_plan(self):
        name = self.params["plan_name"]
        try:
            plans = _paginate(self.client, "list_backup_plans").get("BackupPlansList", [])
        except (BotoCoreError, ClientError) as e:
            self.fail(e, "Failed to list backup plans")
        matches = [p for p in plans if p.get("BackupPlanName") == name and not p.get("DeletionDate")]
        if not matches:
            return None
        if len(matches) > 1:
            self.module.fail_json(msg="%d backup plans are named %s; delete the extra ones" % (len(matches), name))
        try:
            return self.client.get_backup_plan(aws_retry=True, BackupPlanId=matches[0]["BackupPlanId"])
        except (BotoCoreError, ClientError) as e:
            self.fail(e, "Failed to read backup plan %s" % name)

    def find_selection(self, plan_id):
        name = self.params["selection_name"]
        try:
            listing = _paginate(self.client, "list_backup_selections", BackupPlanId=plan_id)
        except (BotoCoreError, ClientError) as e:
            self.fail(e, "Failed to list the selections of backup plan %s" % self.params["plan_name"])
        entries = [s for s in listing.get("BackupSelectionsList", []) if s.get("SelectionName") == name]
        if not entries:
            return None
        try:
            return self.client.get_backup_selection(
                aws_retry=True, BackupPlanId=plan_id, SelectionId=entries[0]["SelectionId"]
            )
        except (BotoCoreError, ClientError) as e:
            self.fail(e, "Failed to read backup selection %s" % name)

    def list_tags(self, arn):
        tags, token = {}, None
        try:
            while True:
                page = self.client.list_tags(aws_retry=True, ResourceArn=arn, **({"NextToken": token} if token else {}))
                tags.update(page.get("Tags", {}))
                token = page.get("NextToken")
                if not token:
                    return tags
        except (BotoCoreError, ClientError) as e:
            self.fail(e, "Failed to list the tags of %s" % arn)

    # ---- changes ------------------------------------------------------------------------------------------
    def ensure_tags(self, arn, current):
        tags = self.params["tags"]
        if tags is None:
            return current
        to_set, to_unset = compare_aws_tags(current, tags, self.params["purge_tags"])
        if not (to_set or to_unset):
            return current
        self.changed = True
        if not self.module.check_mode:
            try:
                if to_unset:
                    self.client.untag_resource(aws_retry=True, ResourceArn=arn, TagKeyList=to_unset)
                if to_set:
                    self.client.tag_resource(aws_retry=True, ResourceArn=arn, Tags=to_set)
            except (BotoCoreError, ClientError) as e:
                self.fail(e, "Failed to tag %s" % arn)
        result = {k: v for k, v in current.items() if k not in to_unset}
        result.update(to_set)
        return result

    def ensure_vault(self):
        p = self.params
        vault = self.describe_vault()
        if vault is None:
            if not p["kms_key_arn"]:
                self.module.fail_json(msg="kms_key_arn: required to create backup vault %s" % p["vault_name"])
            self.changed = True
            after = {"name": p["vault_name"], "encryption_key_arn": p["kms_key_arn"], "tags": dict(p["tags"] or {})}
            if self.module.check_mode:
                return {}, after, None
            try:
                request = dict(BackupVaultName=p["vault_name"], EncryptionKeyArn=p["kms_key_arn"])
                if p["tags"]:
                    request["BackupVaultTags"] = p["tags"]
                arn = self.client.create_backup_vault(aws_retry=True, **request)["BackupVaultArn"]
            except (BotoCoreError, ClientError) as e:
                self.fail(e, "Failed to create backup vault %s" % p["vault_name"])
            return {}, after, arn

        arn = vault["BackupVaultArn"]
        before = {"name": p["vault_name"], "encryption_key_arn": vault.get("EncryptionKeyArn"),
                  "tags": self.list_tags(arn)}
        if p["kms_key_arn"] and vault.get("EncryptionKeyArn") != p["kms_key_arn"]:
            self.warnings.append(
                "kms_key_arn: backup vault %s is encrypted with %s; AWS cannot change a vault's key (create a new "
                "vault)" % (p["vault_name"], vault.get("EncryptionKeyArn"))
            )
        after = dict(before, tags=self.ensure_tags(arn, before["tags"]))
        return before, after, arn

    def ensure_plan(self, vault_exists):
        p = self.params
        plan = self.find_plan()
        rule = desired_rule(p)
        after = {"name": p["plan_name"], "rule": rule_view(rule), "tags": dict(p["tags"] or {})}
        if plan is None:
            self.changed = True
            if self.module.check_mode or not vault_exists:
                return {}, after, None
            request = dict(BackupPlan={"BackupPlanName": p["plan_name"], "Rules": [rule]})
            if p["tags"]:
                request["BackupPlanTags"] = p["tags"]
            try:
                created = self.client.create_backup_plan(aws_retry=True, **request)
            except (BotoCoreError, ClientError) as e:
                self.fail(e, "Failed to create backup plan %s" % p["plan_name"])
            return {}, after, created

        rules = plan["BackupPlan"].get("Rules", [])
        before = {"name": p["plan_name"], "rule": rule_view(rules[0]) if len(rules) == 1 else
                  [rule_view(r) for r in rules], "tags": self.list_tags(plan["BackupPlanArn"])}
        if rules_differ(rules, rule):
            self.changed = True
            if not self.module.check_mode:
                try:
                    updated = self.client.update_backup_plan(
                        aws_retry=True,
                        BackupPlanId=plan["BackupPlanId"],
                        BackupPlan={"BackupPlanName": p["plan_name"], "Rules": [rule],
                                    **({"AdvancedBackupSettings": plan["AdvancedBackupSettings"]}
                                       if plan.get("AdvancedBackupSettings") else {})},
                    )
                except (BotoCoreError, ClientError) as e:
                    self.fail(e, "Failed to update backup plan %s" % p["plan_name"])
                plan = dict(plan, VersionId=updated.get("VersionId", plan.get("VersionId")))
            if isinstance(before["rule"], dict):
                after["rule"] = dict(before["rule"], **after["rule"])
        else:
            after["rule"] = before["rule"]
        after["tags"] = self.ensure_tags(plan["BackupPlanArn"], before["tags"])
        return before, after, plan

    def ensure_selection(self, plan):
        p = self.params
        wanted = sorted(p["resources"])
        after = {"name": p["selection_name"], "iam_role_arn": p["iam_role_arn"], "resources": wanted} if wanted else {}
        current = self.find_selection(plan["BackupPlanId"]) if plan else None
        before = {}
        if current:
            doc = current["BackupSelection"]
            before = {"name": doc.get("SelectionName"), "iam_role_arn": doc.get("IamRoleArn"),
                      "resources": sorted(doc.get("Resources") or [])}
            if before == after:
                return before, after, current["SelectionId"]
        elif not wanted:
            return before, after, None

        self.changed = True
        if self.module.check_mode or not plan:
            return before, after, None
        try:
            if current:  # AWS cannot modify a selection: replace it
                self.client.delete_backup_selection(
                    aws_retry=True, BackupPlanId=plan["BackupPlanId"], SelectionId=current["SelectionId"]
                )
            if not wanted:
                return before, after, None
            created = self.client.create_backup_selection(
                aws_retry=True,
                BackupPlanId=plan["BackupPlanId"],
                BackupSelection={"SelectionName": p["selection_name"], "IamRoleArn": p["iam_role_arn"],
                                 "Resources": wanted},
            )
        except (BotoCoreError, ClientError) as e:
            self.fail(e, "Failed to replace backup selection %s" % p["selection_name"])
        return before, after, created["SelectionId"]

    # ---- present / absent ---------------------------------------------------------------------------------
    def present(self):
        vault_before, vault_after, vault_arn = self.ensure_vault()
        plan_before, plan_after, plan = self.ensure_plan(vault_exists=vault_arn is not None)
        selection_before, selection_after, selection_id = self.ensure_selection(plan)
        result = dict(changed=self.changed)
        if vault_arn:
            result["vault_arn"] = vault_arn
        if plan:
            result.update(plan_id=plan["BackupPlanId"], plan_arn=plan["BackupPlanArn"],
                          plan_version_id=plan.get("VersionId"))
        if selection_id:
            result["selection_id"] = selection_id
        if self.module._diff:
            result["diff"] = dict(
                before=dict(vault=vault_before, plan=plan_before, selection=selection_before),
                after=dict(vault=vault_after, plan=plan_after, selection=selection_after),
            )
        return result

    def absent(self):
        p = self.params
        plan = self.find_plan()
        before = {}
        if plan:
            before["plan"] = {"name": p["plan_name"], "id": plan["BackupPlanId"]}
            try:
                selections = _paginate(self.client, "list_backup_selections", BackupPlanId=plan["BackupPlanId"])
            except (BotoCoreError, ClientError) as e:
                self.fail(e, "Failed to list the selections of backup plan %s" % p["plan_name"])
            self.changed = True
            if not self.module.check_mode:
                try:
                    for selection in selections.get("BackupSelectionsList", []):
                        self.client.delete_backup_selection(
                            aws_retry=True, BackupPlanId=plan["BackupPlanId"], SelectionId=selection["SelectionId"]
                        )
                    self.client.delete_backup_plan(aws_retry=True, BackupPlanId=plan["BackupPlanId"])
                except (BotoCoreError, ClientError) as e:
                    self.fail(e, "Failed to delete backup plan %s" % p["plan_name"])
        if p["delete_vault"]:
            vault = self.describe_vault()
            if vault:
                before["vault"] = {"name": p["vault_name"]}
                self.changed = True
                if not self.module.check_mode:
                    try:
                        self.client.delete_backup_vault(aws_retry=True, BackupVaultName=p["vault_name"])
                    except (BotoCoreError, ClientError) as e:
                        self.fail(e, "Failed to delete backup vault %s (is it empty?)" % p["vault_name"])
        result = dict(changed=self.changed)
        if self.module._diff:
            result["diff"] = dict(before=before, after={})
        return result


def main():
    argument_spec = dict(
        vault_name=dict(type="str", required=True),
        kms_key_arn=dict(type="str", no_log=False),
        plan_name=dict(type="str", required=True),
        rule_name=dict(type="str", default="daily"),
        schedule_expression=dict(type="str", default="cron(0 5 ? * * *)"),
        retention_days=dict(type="int"),
        start_window_minutes=dict(type="int"),
        completion_window_minutes=dict(type="int"),
        selection_name=dict(type="str", default="resources"),
        iam_role_arn=dict(type="str"),
        resources=dict(type="list", elements="str", default=[]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        delete_vault=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["retention_days"])],
        supports_check_mode=True,
    )
    p = module.params
    if p["state"] == "present":
        if p["retention_days"] < 1:
            module.fail_json(msg="retention_days: must be at least 1 (got %s)" % p["retention_days"])
        if p["resources"] and not p["iam_role_arn"]:
            module.fail_json(msg="iam_role_arn: required to back up resources")

    backup = AwsBackup(module)
    result = backup.present() if p["state"] == "present" else backup.absent()
    for warning in backup.warnings:
        warn(warning)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
