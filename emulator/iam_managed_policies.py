"""AWS managed IAM policies the project attaches, known to the emulator.

moto only knows AWS managed policies when MOTO_IAM_LOAD_MANAGED_POLICIES is set, and then loads all
of them (~1600) into every account. Instead, the few the roles attach are loaded from moto's own
copy of the AWS data, so AttachRolePolicy works as on AWS and the emulator stays quick to start.
"""

from __future__ import annotations

import functools
import json

# Policies attached by the project's roles (by name; their path comes from the AWS data).
POLICIES: tuple[str, ...] = (
    "AmazonRDSEnhancedMonitoringRole",
    "AWSBackupServiceRolePolicyForBackup",
    "AWSBackupServiceRolePolicyForRestores",
    "AWSLambdaBasicExecutionRole",
    "AWSLambdaVPCAccessExecutionRole",
)


def install() -> None:
    from moto.iam import models
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    original = models.IAMBackend._init_aws_policies

    @functools.wraps(original)
    def _init_aws_policies(self):
        policies = original(self)
        if policies:  # MOTO_IAM_LOAD_MANAGED_POLICIES=true: moto loaded them all
            return policies
        data = json.loads(aws_managed_policies_data)
        return [
            models.AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data[name])
            for name in POLICIES
            if name in data
        ]

    models.IAMBackend._init_aws_policies = _init_aws_policies
