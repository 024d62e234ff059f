#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aws_backup
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
  - tap.multiregion.attributes
short_description: Ensure an encrypted AWS Backup vault, a scheduled backup plan and its resource selection
version_added: 0.1.0
description:
  - In one invocation ensures an AWS Backup vault encrypted with a customer managed KMS key, a backup plan with one
    scheduled rule into that vault (recovery points kept O(retention_days) days) and a resource selection of the
    plan (the resources by ARN, backed up with the IAM role O(iam_role_arn)).
  - Compares what exists and changes only what differs (C(UpdateBackupPlan) for the rule; a selection, which AWS
    cannot modify, is replaced; tags). A run with nothing to change makes no write call and reports
    C(changed=false), in check mode too. Reads that do not depend on each other are made at the same time
    (the vault and the plan list; then the tags, the plan and its selections).
  - With O(state=absent) the selection and the plan are deleted; the vault is kept (it holds the recovery points)
    unless O(delete_vault=true) and it is empty.
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
    description: Days each recovery point is kept. Required when O(state=present).
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
    description: IAM role AWS Backup assumes to back up the resources. Required when O(resources) is not empty.
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
    description: With O(state=absent), also delete the vault (AWS refuses while it holds recovery points).
    type: bool
    default: false
notes:
  - AWS cannot change the key of an existing vault; a different O(kms_key_arn) is reported as a warning.
  - The tags of the vault and of the plan are read with one C(tag:GetResources) (the Resource Groups Tagging API);
    a resource the tagging index lacks or shows with other tags is read with its own C(ListTags) before any tag
    is written, as the index follows AWS Backup by seconds.
author:
  - tap.multiregion maintainers (!UNKNOWN)
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
  sample: arn:aws:backup:us-east-1:123456789012:backup-vault:tap-backup-prod-us-east-1
changes:
  description: One sentence per change made (or, in check mode, that would be made), naming the resource and attribute.
  returned: always
  type: list
  elements: str
  sample:
    - create backup vault tap-backup-prod-us-east-1 (key arn:aws:kms:us-east-1:123456789012:key/0a1b)
    - "backup plan tap-backup-prod-us-east-1: rule daily delete_after_days 7 -> 30"
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
"""


from ansible_collections.tap.multiregion.plugins.module_utils import tag_index
from ansible_collections.tap.multiregion.plugins.module_utils.base import AwsResource
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure
from ansible_collections.tap.multiregion.plugins.module_utils.base import show


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


def rule_differences(current_rules, wanted_rule):
    """'rule <name> key a -> b, ...' describing how the plan's rules differ from the one wanted rule; '' if equal."""
    want = rule_view(wanted_rule)
    if len(current_rules or []) != 1:
        return "rules %s -> %s" % (",".join(sorted(r.get("RuleName", "?") for r in current_rules or [])) or "none",
                                   want["rule_name"])
    have = rule_view(current_rules[0])
    changed = ["%s %s -> %s" % (key, show(have.get(key)), show(value)) for key, value in want.items()
               if have.get(key) != value]
    return "rule %s %s" % (want["rule_name"], ", ".join(changed)) if changed else ""


def selection_differences(before, after):
    """'iam_role_arn a -> b, resources add x, remove y' between two selection views."""
    parts = []
    if before.get("iam_role_arn") != after.get("iam_role_arn"):
        parts.append("iam_role_arn %s -> %s" % (show(before.get("iam_role_arn")), show(after.get("iam_role_arn"))))
    added = sorted(set(after.get("resources") or []) - set(before.get("resources") or []))
    removed = sorted(set(before.get("resources") or []) - set(after.get("resources") or []))
    if added or removed:
        parts.append("resources " + ", ".join(["add %s" % r for r in added] + ["remove %s" % r for r in removed]))
    return ", ".join(parts)


def _plan_entry(plans, name):
    matches = [p for p in plans if p.get("BackupPlanName") == name and not p.get("DeletionDate")]
    if len(matches) > 1:
        raise Failure("%d backup plans are named %s; delete the extra ones" % (len(matches), name))
    return matches[0] if matches else None


class AwsBackup(AwsResource):
    SERVICE = "backup"

    def __init__(self, module):
        super(AwsBackup, self).__init__(module)
        p = self.params
        self.backup = self.client()
        self.vault_label = "backup vault %s" % p["vault_name"]
        self.plan_label = "backup plan %s" % p["plan_name"]
        self.selection_label = "backup selection %s of plan %s" % (p["selection_name"], p["plan_name"])

    def validate(self):
        p = self.params
        if p["state"] != "present":
            return
        if p["retention_days"] < 1:
            raise self.invalid("retention_days", p["retention_days"], "at least 1 day")
        if p["resources"] and not p["iam_role_arn"]:
            raise self.invalid("iam_role_arn", None, "required to back up resources")

    # ------------------------------------------------------------------ reads

    def describe_vault(self):
        # AWS answers AccessDeniedException, not ResourceNotFoundException, for a vault that does not exist.
        return self.read("describe %s" % self.vault_label, self.backup.describe_backup_vault,
                         BackupVaultName=self.params["vault_name"],
                         missing=("AccessDeniedException", "ResourceNotFoundException"))

    def plan_entry(self):
        plans = self.paginate("list backup plans", self.backup, "list_backup_plans")
        return _plan_entry(plans.get("BackupPlansList", []), self.params["plan_name"])

    def selections(self, plan_id):
        found = self.paginate("list the selections of %s" % self.plan_label, self.backup, "list_backup_selections",
                              BackupPlanId=plan_id)
        return found.get("BackupSelectionsList", [])

    def tags_of(self, arn):
        """Tags of a vault or plan (ListTags has no botocore paginator: NextToken by hand)."""
        tags, token = {}, None
        while True:
            page = self.read("list the tags of %s" % arn, self.backup.list_tags, ResourceArn=arn,
                             **({"NextToken": token} if token else {}))
            tags.update(page.get("Tags", {}))
            token = page.get("NextToken")
            if not token:
                return tags

    def sync_backup_tags(self, label, arn, current):
        return self.sync_tags(
            label, current, self.params["tags"],
            tag=lambda to_set: self.backup.tag_resource(aws_retry=True, ResourceArn=arn, Tags=to_set),
            untag=lambda keys: self.backup.untag_resource(aws_retry=True, ResourceArn=arn, TagKeyList=keys),
        )

    # ------------------------------------------------------------------ present

    def present(self):
        vault, entry = self.concurrently(self.describe_vault, self.plan_entry)
        plan_id = entry["BackupPlanId"] if entry else None
        arns = ([vault["BackupVaultArn"]] if vault else []) + ([entry["BackupPlanArn"]] if entry else [])
        tags, plan, selections = self.concurrently(
            # The vault's and the plan's tags in one read of the tagging index (own reads only to confirm).
            lambda: tag_index.tags_of(self, arns, self.tags_of, self.params["tags"], self.params["purge_tags"]),
            lambda: self.read("read %s" % self.plan_label, self.backup.get_backup_plan, BackupPlanId=plan_id)
            if plan_id else None,
            lambda: self.selections(plan_id) if plan_id else [],
        )
        vault_tags = tags[vault["BackupVaultArn"]] if vault else {}
        plan_tags = tags[entry["BackupPlanArn"]] if entry else {}
        vault_before, vault_after, vault_arn = self.ensure_vault(vault, vault_tags)
        plan_before, plan_after, plan = self.ensure_plan(plan, plan_tags)
        selection_before, selection_after, selection_id = self.ensure_selection(plan, selections)
        self.set_diff(dict(vault=vault_before, plan=plan_before, selection=selection_before),
                      dict(vault=vault_after, plan=plan_after, selection=selection_after))
        result = {}
        if vault_arn:
            result["vault_arn"] = vault_arn
        if plan:
            result.update(plan_id=plan["BackupPlanId"], plan_arn=plan["BackupPlanArn"],
                          plan_version_id=plan.get("VersionId"))
        if selection_id:
            result["selection_id"] = selection_id
        return result

    def ensure_vault(self, vault, tags):
        p = self.params
        if vault is None:
            if not p["kms_key_arn"]:
                raise self.invalid("kms_key_arn", None, "required to create %s" % self.vault_label)
            request = dict(BackupVaultName=p["vault_name"], EncryptionKeyArn=p["kms_key_arn"])
            if p["tags"]:
                request["BackupVaultTags"] = p["tags"]
            created = self.write("create %s (key %s)" % (self.vault_label, p["kms_key_arn"]),
                                 self.backup.create_backup_vault, **request)
            after = {"name": p["vault_name"], "encryption_key_arn": p["kms_key_arn"], "tags": dict(p["tags"] or {})}
            return {}, after, (created or {}).get("BackupVaultArn")
        arn = vault["BackupVaultArn"]
        before = {"name": p["vault_name"], "encryption_key_arn": vault.get("EncryptionKeyArn"), "tags": tags}
        if p["kms_key_arn"] and vault.get("EncryptionKeyArn") != p["kms_key_arn"]:
            self.warn("kms_key_arn: %s is encrypted with %s; AWS cannot change a vault's key (create a new vault)"
                      % (self.vault_label, vault.get("EncryptionKeyArn")))
        return before, dict(before, tags=self.sync_backup_tags(self.vault_label, arn, tags)), arn

    def ensure_plan(self, plan, tags):
        p = self.params
        rule = desired_rule(p)
        after = {"name": p["plan_name"], "rule": rule_view(rule), "tags": dict(p["tags"] or {})}
        if plan is None:
            request = dict(BackupPlan={"BackupPlanName": p["plan_name"], "Rules": [rule]})
            if p["tags"]:
                request["BackupPlanTags"] = p["tags"]
            sentence = "create %s (%s, %s, %d days)" % (
                self.plan_label, p["rule_name"], p["schedule_expression"], p["retention_days"])
            return {}, after, self.write(sentence, self.backup.create_backup_plan, **request)

        rules = plan["BackupPlan"].get("Rules", [])
        before = {"name": p["plan_name"], "rule": rule_view(rules[0]) if len(rules) == 1 else
                  [rule_view(r) for r in rules], "tags": tags}
        differences = rule_differences(rules, rule)
        if differences:
            document = {"BackupPlanName": p["plan_name"], "Rules": [rule]}
            if plan.get("AdvancedBackupSettings"):
                document["AdvancedBackupSettings"] = plan["AdvancedBackupSettings"]
            updated = self.write("%s: %s" % (self.plan_label, differences), self.backup.update_backup_plan,
                                 BackupPlanId=plan["BackupPlanId"], BackupPlan=document)
            plan = dict(plan, VersionId=(updated or {}).get("VersionId", plan.get("VersionId")))
            if isinstance(before["rule"], dict):
                after["rule"] = dict(before["rule"], **after["rule"])
        else:
            after["rule"] = before["rule"]
        after["tags"] = self.sync_backup_tags(self.plan_label, plan["BackupPlanArn"], tags)
        return before, after, plan

    def ensure_selection(self, plan, selections):
        p = self.params
        wanted = sorted(p["resources"])
        after = {"name": p["selection_name"], "iam_role_arn": p["iam_role_arn"], "resources": wanted} if wanted else {}
        entry = next((s for s in selections if s.get("SelectionName") == p["selection_name"]), None)
        current, before = None, {}
        if entry:
            current = self.read("read %s" % self.selection_label, self.backup.get_backup_selection,
                                BackupPlanId=plan["BackupPlanId"], SelectionId=entry["SelectionId"])
            document = current["BackupSelection"]
            before = {"name": document.get("SelectionName"), "iam_role_arn": document.get("IamRoleArn"),
                      "resources": sorted(document.get("Resources") or [])}
            if before == after:
                return before, after, current["SelectionId"]
        elif not wanted:
            return before, after, None
        if not wanted:
            sentence = "delete %s" % self.selection_label
        elif current:
            sentence = "%s: %s (replaced: AWS cannot modify a selection)" % (
                self.selection_label, selection_differences(before, after))
        else:
            sentence = "create %s (%d resources)" % (self.selection_label, len(wanted))
        if plan is None:  # check mode: the plan would be created first
            self.record(sentence)
            return before, after, None
        document = {"SelectionName": p["selection_name"], "IamRoleArn": p["iam_role_arn"], "Resources": wanted}
        created = self.write(sentence, self.replace_selection, plan["BackupPlanId"],
                             current and current["SelectionId"], document if wanted else None)
        return before, after, (created or {}).get("SelectionId")

    def replace_selection(self, plan_id, old_id, document, aws_retry=True):
        if old_id:
            self.backup.delete_backup_selection(aws_retry=aws_retry, BackupPlanId=plan_id, SelectionId=old_id)
        if document:
            return self.backup.create_backup_selection(aws_retry=aws_retry, BackupPlanId=plan_id,
                                                       BackupSelection=document)
        return None

    # ------------------------------------------------------------------ absent

    def absent(self):
        p = self.params
        entry, vault = self.concurrently(self.plan_entry,
                                         lambda: self.describe_vault() if p["delete_vault"] else None)
        before = {}
        if entry:
            plan_id = entry["BackupPlanId"]
            before["plan"] = {"name": p["plan_name"], "id": plan_id}
            for selection in self.selections(plan_id):
                self.write("delete backup selection %s of plan %s" % (selection.get("SelectionName"), p["plan_name"]),
                           self.backup.delete_backup_selection, BackupPlanId=plan_id,
                           SelectionId=selection["SelectionId"])
            self.write("delete %s" % self.plan_label, self.backup.delete_backup_plan, BackupPlanId=plan_id)
        if vault:
            before["vault"] = {"name": p["vault_name"]}
            self.write("delete %s (it must hold no recovery point)" % self.vault_label,
                       self.backup.delete_backup_vault, BackupVaultName=p["vault_name"])
        self.set_diff(before, {})
        return {}


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
    )
    AwsBackup.main(argument_spec, required_if=[("state", "present", ["retention_days"])], tags=True)


if __name__ == "__main__":
    main()
