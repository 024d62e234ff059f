"""Services refuse an IAM role they cannot assume yet (aws profile): Lambda, VPC flow logs, RDS monitoring.

Gap filled: moto lets any service use a role the moment it exists, whatever its trust policy. In AWS the
service must be trusted by the role (``sts:AssumeRole`` for its service principal) and the role must
have propagated (``iam.role.propagation`` AWS seconds after CreateRole or UpdateAssumeRolePolicy, see
``emulator.propagation``). Under the aws profile:

* Lambda CreateFunction, and UpdateFunctionConfiguration with a Role, answer
  InvalidParameterValueException "The role defined for the function cannot be assumed by Lambda."
  when ``lambda.amazonaws.com`` cannot assume the role yet (modules retry this message).
* EC2 CreateFlowLogs to CloudWatch Logs with a DeliverLogsPermissionArn that
  ``vpc-flow-logs.amazonaws.com`` cannot assume yet creates the flow log, but its DeliverLogsStatus is
  ``FAILED`` with DeliverLogsErrorMessage ``Access error`` ("the IAM role associated with the flow log
  does not have sufficient permissions to publish to CloudWatch Logs") for good: the flow log never
  recovers, as on AWS, so a deployment must wait for the role before creating it. DescribeFlowLogs'
  ``deliver-log-status`` filter matches the real status (moto matches SUCCESS always). A flow log to a
  missing S3 bucket is answered in ``Unsuccessful`` with AWS's text "LogDestination: <bucket> does
  not exist" (moto adds a final period).
* RDS CreateDBInstance and ModifyDBInstance with a MonitoringRoleArn that
  ``monitoring.rds.amazonaws.com`` cannot assume yet answer InvalidParameterValue "IAM role ARN value
  is invalid or does not include the required permissions for: ENHANCED_MONITORING".

Patched (moto 5.2.5): checks before Lambda ``CreateFunction``/``UpdateFunctionConfiguration`` and RDS
``CreateDBInstance``/``ModifyDBInstance`` through ``emulator.action_guards``; ``FlowLogsBackend.create_flow_logs``
(wrapped) and ``FlowLogs.get_filter_value`` (wrapped, ``deliver-log-status`` only).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from emulator import action_guards, profile, propagation

LAMBDA_PRINCIPAL = "lambda.amazonaws.com"
FLOW_LOGS_PRINCIPAL = "vpc-flow-logs.amazonaws.com"
MONITORING_PRINCIPAL = "monitoring.rds.amazonaws.com"
LAMBDA_ROLE_MESSAGE = "The role defined for the function cannot be assumed by Lambda."
MONITORING_ROLE_MESSAGE = (
    "IAM role ARN value is invalid or does not include the required permissions for: ENHANCED_MONITORING"
)
ACCESS_ERROR = "Access error"

_INSTALLED = False


def _lambda_role_check(response: Any) -> None:
    from moto.awslambda.exceptions import InvalidParameterValueException

    try:
        role = json.loads(response.body or "{}").get("Role")
    except ValueError:
        return
    # A malformed or cross-account role ARN is moto's to answer (InvalidRoleFormat, CrossAccountNotAllowed).
    if not role or ":role/" not in role or role.split(":")[4:5] != [response.current_account]:
        return
    if not propagation.role_assumable(role, LAMBDA_PRINCIPAL):
        raise InvalidParameterValueException(LAMBDA_ROLE_MESSAGE)


def _monitoring_role_check(response: Any) -> None:
    from moto.rds.exceptions import InvalidParameterValue

    role = response._get_param("MonitoringRoleArn")
    if role and not propagation.role_assumable(role, MONITORING_PRINCIPAL):
        raise InvalidParameterValue(MONITORING_ROLE_MESSAGE)


def _install_flow_logs() -> None:
    from moto.ec2.models.flow_logs import FlowLogs, FlowLogsBackend

    original_create = FlowLogsBackend.create_flow_logs
    original_filter = FlowLogs.get_filter_value

    @functools.wraps(original_create)
    def create_flow_logs(self: Any, *args: Any, **kwargs: Any) -> tuple[list[Any], list[Any]]:
        flow_logs, unsuccessful = original_create(self, *args, **kwargs)
        if not profile.current().aws:
            return flow_logs, unsuccessful
        for flow_log in flow_logs:
            if flow_log.log_destination_type != "cloud-watch-logs":
                continue
            if not propagation.role_assumable(flow_log.deliver_logs_permission_arn, FLOW_LOGS_PRINCIPAL):
                flow_log.deliver_logs_status = "FAILED"
                flow_log.deliver_logs_error_message = ACCESS_ERROR
        unsuccessful = [
            (resource, code, message[:-1] if message.endswith(" does not exist.") else message)
            for resource, code, message in unsuccessful
        ]
        return flow_logs, unsuccessful

    @functools.wraps(original_filter)
    def get_filter_value(self: Any, filter_name: str, method_name: str | None = None) -> Any:
        if filter_name == "deliver-log-status" and profile.current().aws:
            return self.deliver_logs_status
        return original_filter(self, filter_name, method_name)

    FlowLogsBackend.create_flow_logs = create_flow_logs
    FlowLogs.get_filter_value = get_filter_value


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    _INSTALLED = True
    from moto.awslambda.responses import LambdaResponse
    from moto.rds.responses import RDSResponse

    propagation.install()
    for action in ("CreateFunction", "UpdateFunctionConfiguration"):
        action_guards.guard(LambdaResponse, action, _lambda_role_check)
    for action in ("CreateDBInstance", "ModifyDBInstance"):
        action_guards.guard(RDSResponse, action, _monitoring_role_check)
    _install_flow_logs()
