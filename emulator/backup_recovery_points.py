"""AWS Backup recovery points, which moto 5.2.5 does not model (``start_backup_job not yet supported``).

Gaps filled, as AWS's Backup API answers them:
* StartBackupJob makes a completed recovery point of the resource in the vault at once, encrypted with the
  vault's key (AWS takes minutes; nothing here depends on that), and answers BackupJobId,
  RecoveryPointArn and CreationDate;
* ListRecoveryPointsByBackupVault lists them (RecoveryPointArn, BackupVaultName/Arn, ResourceArn,
  ResourceType, EncryptionKeyArn, Status COMPLETED, CreationDate); DescribeBackupVault counts them
  (NumberOfRecoveryPoints);
* DeleteRecoveryPoint deletes one;
* DeleteBackupVault refuses a vault that still holds recovery points (InvalidRequestException "Backup
  vault cannot be deleted (contains N recovery points)"), as AWS does.

The project's teardown must know that recovery points encrypted with a region's key are kept (the
daily plan makes them on AWS), so that it keeps the key too.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

RESOURCE_TYPES = {"rds": "Aurora", "dynamodb": "DynamoDB", "s3": "S3", "ec2": "EC2"}


def _points(backend: Any) -> dict[str, dict[str, Any]]:
    return backend.__dict__.setdefault("tap_recovery_points", {})


def _vault(backend: Any, name: str) -> Any:
    from moto.backup import exceptions

    if name not in backend.vaults:
        raise exceptions.ResourceNotFoundException(msg=f"Backup vault {name} not found")
    return backend.vaults[name]


def install() -> None:
    from moto.backup import exceptions, models, responses, urls
    from moto.core.utils import unix_time
    from moto.moto_api._internal import mock_random

    class InvalidRequestException(exceptions.JsonRESTError):
        code = 400

        def __init__(self, message: str):
            super().__init__("InvalidRequestException", message)

    def start_backup_job(self: Any) -> str:
        params = json.loads(self.body or "{}")
        vault = _vault(self.backup_backend, params.get("BackupVaultName", ""))
        resource_arn = params["ResourceArn"]
        job_id = mock_random.uuid4().hex.upper()
        point_id = mock_random.uuid4().hex
        service = resource_arn.split(":")[2] if resource_arn.count(":") >= 5 else ""
        backend = self.backup_backend
        partition = vault.backup_vault_arn.split(":")[1]
        arn = f"arn:{partition}:backup:{backend.region_name}:{backend.account_id}:recovery-point:{point_id}"
        now = unix_time()
        _points(self.backup_backend)[arn] = {
            "RecoveryPointArn": arn,
            "BackupVaultName": vault.backup_vault_name,
            "BackupVaultArn": vault.backup_vault_arn,
            "ResourceArn": resource_arn,
            "ResourceType": RESOURCE_TYPES.get(service, service),
            "IamRoleArn": params.get("IamRoleArn"),
            "EncryptionKeyArn": vault.encryption_key_arn,
            "IsEncrypted": True,
            "Status": "COMPLETED",
            "CreationDate": now,
            "CompletionDate": now,
        }
        vault.num_of_recovery_points = sum(
            1 for p in _points(self.backup_backend).values() if p["BackupVaultName"] == vault.backup_vault_name
        )
        return json.dumps({"BackupJobId": job_id, "RecoveryPointArn": arn, "CreationDate": now})

    def list_recovery_points_by_backup_vault(self: Any) -> str:
        name = unquote(self.path.split("/backup-vaults/")[1].split("/")[0])
        _vault(self.backup_backend, name)
        found = [p for p in _points(self.backup_backend).values() if p["BackupVaultName"] == name]
        return json.dumps({"RecoveryPoints": found})

    def delete_recovery_point(self: Any) -> str:
        rest = self.path.split("/backup-vaults/")[1]
        name, _sep, arn = rest.partition("/recovery-points/")
        name, arn = unquote(name), unquote(arn.split("?")[0])
        vault = _vault(self.backup_backend, name)
        if _points(self.backup_backend).pop(arn, None) is None:
            raise exceptions.ResourceNotFoundException(msg=f"Recovery point {arn} not found")
        vault.num_of_recovery_points = max(vault.num_of_recovery_points - 1, 0)
        return "{}"

    responses.BackupResponse.start_backup_job = start_backup_job
    responses.BackupResponse.list_recovery_points_by_backup_vault = list_recovery_points_by_backup_vault
    responses.BackupResponse.delete_recovery_point = delete_recovery_point

    original_delete_vault = models.BackupBackend.delete_backup_vault

    def delete_backup_vault(self: Any, backup_vault_name: str) -> Any:
        held = [p for p in _points(self).values() if p["BackupVaultName"] == backup_vault_name]
        if held:
            raise InvalidRequestException(f"Backup vault cannot be deleted (contains {len(held)} recovery points)")
        return original_delete_vault(self, backup_vault_name)

    models.BackupBackend.delete_backup_vault = delete_backup_vault

    dispatch = responses.BackupResponse.dispatch
    urls.url_paths.setdefault(r"{0}/backup-jobs/?$", dispatch)
    urls.url_paths.setdefault(r"{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/$", dispatch)
    urls.url_paths.setdefault(r"{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/(?P<arn>.+)$", dispatch)
