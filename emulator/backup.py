"""AWS Backup gaps of moto 5.2.5 that amazon.aws.backup_plan / backup_selection run into.

* Backup selections (CreateBackupSelection, GetBackupSelection, ListBackupSelections,
  DeleteBackupSelection) are not implemented: they are stored per plan and answered like AWS does.
* UpdateBackupPlan is not implemented: it replaces the plan document and issues a new version id.
* DescribeBackupVault of a missing vault answers AccessDeniedException (403) like AWS, not
  ResourceNotFoundException (amazon.aws.backup_vault relies on that to create the vault).
* DeleteBackupPlan refuses a plan that still has selections, as AWS does, and a deleted plan's name can
  be used again.
"""

from __future__ import annotations

import functools
import json


def install() -> None:
    from moto.backup import exceptions, models, responses
    from moto.core.utils import unix_time
    from moto.moto_api._internal import mock_random

    def selections_of(backend, plan_id: str) -> dict:
        if plan_id not in backend.plans or backend.plans[plan_id].deletion_date is not None:
            raise exceptions.ResourceNotFoundException(msg=f"Backup plan {plan_id} not found")
        store = backend.__dict__.setdefault("tap_selections", {})
        return store.setdefault(plan_id, {})

    def plan_and_selection(path: str) -> tuple[str, str | None]:
        # /backup/plans/{BackupPlanId}/selections/[{SelectionId}]
        parts = [p for p in path.split("?")[0].split("/") if p]
        plan_id = parts[parts.index("plans") + 1]
        selection_id = parts[parts.index("selections") + 1] if len(parts) > parts.index("selections") + 1 else None
        return plan_id, selection_id

    def create_backup_selection(self):
        plan_id = plan_and_selection(self.path)[0]
        params = json.loads(self.body or "{}")
        selection = dict(params.get("BackupSelection") or {})
        if not selection.get("SelectionName") or not selection.get("IamRoleArn"):
            raise exceptions.InvalidParameterValueException(msg="SelectionName and IamRoleArn are required")
        selections = selections_of(self.backup_backend, plan_id)
        if any(s["BackupSelection"]["SelectionName"] == selection["SelectionName"] for s in selections.values()):
            raise exceptions.AlreadyExistsException(msg=f"Selection {selection['SelectionName']} already exists")
        selection_id = str(mock_random.uuid4())
        selections[selection_id] = {
            "BackupSelection": selection,
            "SelectionId": selection_id,
            "BackupPlanId": plan_id,
            "CreationDate": unix_time(),
            "CreatorRequestId": params.get("CreatorRequestId") or str(mock_random.uuid4()),
        }
        entry = selections[selection_id]
        return json.dumps({k: entry[k] for k in ("SelectionId", "BackupPlanId", "CreationDate")})

    def get_backup_selection(self):
        plan_id, selection_id = plan_and_selection(self.path)
        selections = selections_of(self.backup_backend, plan_id)
        if selection_id not in selections:
            raise exceptions.ResourceNotFoundException(msg=f"Selection {selection_id} not found")
        return json.dumps(selections[selection_id])

    def list_backup_selections(self):
        plan_id = plan_and_selection(self.path)[0]
        selections = selections_of(self.backup_backend, plan_id)
        listing = [
            {
                "SelectionId": s["SelectionId"],
                "SelectionName": s["BackupSelection"]["SelectionName"],
                "BackupPlanId": s["BackupPlanId"],
                "CreationDate": s["CreationDate"],
                "CreatorRequestId": s["CreatorRequestId"],
                "IamRoleArn": s["BackupSelection"]["IamRoleArn"],
            }
            for s in selections.values()
        ]
        return json.dumps({"BackupSelectionsList": listing})

    def delete_backup_selection(self):
        plan_id, selection_id = plan_and_selection(self.path)
        selections = selections_of(self.backup_backend, plan_id)
        if selections.pop(selection_id, None) is None:
            raise exceptions.ResourceNotFoundException(msg=f"Selection {selection_id} not found")
        return "{}"

    def update_backup_plan(self):
        plan_id = [p for p in self.path.split("?")[0].split("/") if p][-1]
        params = json.loads(self.body or "{}")
        plan = self.backup_backend.get_backup_plan(backup_plan_id=plan_id, version_id=None)
        document = params.get("BackupPlan") or {}
        # Reuse moto's defaults for rules (schedule, windows, rule ids).
        fresh = models.Plan(
            backup_plan=document, creator_request_id=plan.creator_request_id, backend=self.backup_backend
        )
        plan.backup_plan = fresh.backup_plan
        plan.advanced_backup_settings = document.get("AdvancedBackupSettings") or []
        plan.version_id = mock_random.get_random_string(length=48)
        return json.dumps(plan.to_dict())

    for method in (create_backup_selection, get_backup_selection, list_backup_selections, delete_backup_selection,
                   update_backup_plan):
        setattr(responses.BackupResponse, method.__name__, method)

    original_delete_plan = models.BackupBackend.delete_backup_plan

    @functools.wraps(original_delete_plan)
    def delete_backup_plan(self, backup_plan_id):
        if self.__dict__.get("tap_selections", {}).get(backup_plan_id):
            raise exceptions.InvalidRequestException(
                msg="Related backup plan selections must be deleted prior to backup plan deletion"
            )
        result = original_delete_plan(self, backup_plan_id)
        # moto keeps deleted plans and then refuses to create one of the same name again; AWS allows it.
        self.plans.pop(backup_plan_id, None)
        return result

    models.BackupBackend.delete_backup_plan = delete_backup_plan

    class AccessDeniedException(exceptions.JsonRESTError):
        code = 403

        def __init__(self):
            super().__init__("AccessDeniedException", "Insufficient privileges to perform this action.")

    original_describe_vault = models.BackupBackend.describe_backup_vault

    @functools.wraps(original_describe_vault)
    def describe_backup_vault(self, backup_vault_name):
        if backup_vault_name not in self.vaults:
            raise AccessDeniedException()
        return original_describe_vault(self, backup_vault_name)

    models.BackupBackend.describe_backup_vault = describe_backup_vault
