"""emulator.backup_recovery_points: recovery points exist, are listed and keep their vault."""

from __future__ import annotations

import botocore.exceptions
import pytest


def test_a_backup_job_makes_a_recovery_point_the_vault_keeps(aws):
    backup = aws("backup", "eu-north-1")
    key = aws("kms", "eu-north-1").create_key()["KeyMetadata"]["Arn"]
    backup.create_backup_vault(BackupVaultName="tap-rp-vault", EncryptionKeyArn=key)
    table = "arn:aws:dynamodb:eu-north-1:123456789012:table/sessions-rp"
    role = "arn:aws:iam::123456789012:role/backup"
    job = backup.start_backup_job(BackupVaultName="tap-rp-vault", ResourceArn=table, IamRoleArn=role)
    points = backup.list_recovery_points_by_backup_vault(BackupVaultName="tap-rp-vault")["RecoveryPoints"]
    assert [p["RecoveryPointArn"] for p in points] == [job["RecoveryPointArn"]]
    assert points[0]["EncryptionKeyArn"] == key and points[0]["ResourceType"] == "DynamoDB"
    assert points[0]["Status"] == "COMPLETED"

    with pytest.raises(botocore.exceptions.ClientError) as refused:
        backup.delete_backup_vault(BackupVaultName="tap-rp-vault")
    assert refused.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "contains 1 recovery points" in refused.value.response["Error"]["Message"]

    backup.delete_recovery_point(BackupVaultName="tap-rp-vault", RecoveryPointArn=job["RecoveryPointArn"])
    assert backup.list_recovery_points_by_backup_vault(BackupVaultName="tap-rp-vault")["RecoveryPoints"] == []
    backup.delete_backup_vault(BackupVaultName="tap-rp-vault")
