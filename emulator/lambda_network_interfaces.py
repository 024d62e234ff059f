"""Lambda's network interfaces in a VPC function's subnets (aws profile): moto makes none.

Gap: moto's Lambda accepts and reports a VpcConfig but creates no EC2 network interface, so a
VPC function leaves no trace in EC2 and its subnets and security groups can be deleted at once.
On AWS, Lambda's (Hyperplane) network interfaces hold them until Lambda removes the interfaces,
20 to 40 minutes after the function is deleted or leaves the VPC: a teardown that deletes the
function and then its network fails with DependencyViolation for that long.

Under the aws profile (the default profile is unchanged):

* CreateFunction with a VpcConfig, and UpdateFunctionConfiguration changing it, make one network
  interface per subnet and security-group set, shared by every function of the account and region
  that uses the same combination (as Hyperplane ENIs are). DescribeNetworkInterfaces shows them as
  AWS does: InterfaceType ``lambda``, Status ``in-use``, Description ``AWS Lambda VPC
  ENI-<function>-<uuid>`` (the function that made it), RequesterManaged false (what AWS reports
  for Lambda's interfaces, unlike RDS's or a load balancer's), an ``ela-attach-...`` attachment
  owned by ``amazon-aws`` (device index 1, no instance). Filters ``interface-type``, ``status``,
  ``requester-managed``, ``attachment.status`` and ``attachment.attachment-id`` apply to them.
  Subnets or security groups that do not exist are skipped (no interface is made for them).
* When no function uses a combination any more (DeleteFunction, or a VpcConfig change), its
  interface stays ``lambda.eni.linger`` AWS seconds, then vanishes; nothing runs in the
  background, the interface is dropped when EC2 is next asked about interfaces, subnets, groups
  or VPCs. A function that uses the combination again in the meantime takes it back.
* While an interface exists: DeleteSecurityGroup of one of its groups answers DependencyViolation
  ``resource sg-... has a dependent object``; DeleteSubnet of its subnet ``The subnet 'subnet-...'
  has dependencies and cannot be deleted.``; DeleteVpc of its VPC ``The vpc 'vpc-...' has
  dependencies and cannot be deleted.``; DeleteNetworkInterface InvalidParameterValue
  ``Network interface 'eni-...' is currently in use.``; DetachNetworkInterface of its attachment
  OperationNotPermitted ``You are not allowed to manage 'ela-attach' attachments.``

Which functions use which combination is kept on the EC2 backend of the function's account and
region, so the emulator's reset drops it with the interfaces. Lambda itself is patched narrowly
(CreateFunction, UpdateFunctionConfiguration, DeleteFunction of the backend, each wrapping the
method it finds, so other fillers' patches of those methods still run).
"""

from __future__ import annotations

import datetime
import functools
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from emulator import profile

LINGER = "lambda.eni.linger"
DESCRIPTION_PREFIX = "AWS Lambda VPC ENI-"
_LOCK = threading.RLock()
_INSTALLED = False
_eni_class: Any = None


@dataclass
class LambdaAttachment:
    """The attachment AWS reports for a Lambda interface (no instance: Lambda's own fleet owns it)."""

    attachment_id: str
    attach_time: datetime.datetime
    device_index: int = 1
    network_card_index: int = 0
    instance_owner_id: str = "amazon-aws"
    status: str = "attached"
    delete_on_termination: bool = False


@dataclass
class Combination:
    """One Hyperplane interface: a subnet and a security-group set, and the functions using it."""

    eni: Any
    users: set[str] = field(default_factory=set)
    released_at: float | None = None  # AWS seconds when the last function stopped using it


def _make_eni_class() -> Any:
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface

    class LambdaNetworkInterface(NetworkInterface):
        def __init__(self, ec2_backend: Any, subnet: Any, group_ids: list[str], function_name: str):
            super().__init__(
                ec2_backend,
                subnet,
                None,
                group_ids=group_ids,
                description=f"{DESCRIPTION_PREFIX}{function_name}-{uuid.uuid4()}",
            )
            self.interface_type = "lambda"
            self.status = "in-use"
            self.requester_managed = False
            # Lambda's service role session creates the interface in the caller's account.
            self.requester_id = f"AROA{uuid.uuid4().hex[:17].upper()}:{uuid.uuid4().hex[:12]}"
            self.lambda_attachment = LambdaAttachment(
                attachment_id=f"ela-attach-{uuid.uuid4().hex[:8]}",
                attach_time=datetime.datetime.now(datetime.UTC),
            )

        @property
        def attachment(self) -> LambdaAttachment:  # type: ignore[override]
            return self.lambda_attachment

        def get_filter_value(self, filter_name: str, method_name: str | None = None) -> Any:
            own = {
                "interface-type": self.interface_type,
                "status": self.status,
                "requester-managed": str(self.requester_managed).lower(),
                "requester-id": self.requester_id,
                "attachment.status": self.lambda_attachment.status,
                "attachment.attachment-id": self.lambda_attachment.attachment_id,
                "attachment.instance-owner-id": self.lambda_attachment.instance_owner_id,
            }
            if filter_name in own:
                return own[filter_name]
            return super().get_filter_value(filter_name, method_name)

    return LambdaNetworkInterface


def _ec2(account_id: str, region: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[account_id][region]


def _combinations(ec2_backend: Any) -> dict[tuple[str, tuple[str, ...]], Combination]:
    combinations = getattr(ec2_backend, "_tap_lambda_enis", None)
    if combinations is None:
        combinations = {}
        ec2_backend._tap_lambda_enis = combinations
    return combinations


def lambda_interfaces(ec2_backend: Any) -> list[Any]:
    """The Lambda interfaces of this EC2 backend that still exist (after dropping expired ones)."""
    with _LOCK:
        sweep(ec2_backend)
        return [c.eni for c in _combinations(ec2_backend).values()]


def sweep(ec2_backend: Any) -> None:
    """Drop the interfaces whose linger time has passed since their last function let go of them."""
    combinations = getattr(ec2_backend, "_tap_lambda_enis", None)
    if not combinations:
        return
    now, linger = profile.aws_seconds(), profile.duration(LINGER)
    with _LOCK:
        for key, combination in list(combinations.items()):
            if combination.released_at is not None and now >= combination.released_at + linger:
                ec2_backend.enis.pop(combination.eni.id, None)
                del combinations[key]


def _wanted(ec2_backend: Any, vpc_config: dict[str, Any] | None) -> list[tuple[str, tuple[str, ...]]]:
    """(subnet, groups) combinations of a VpcConfig whose subnet and groups exist in EC2."""
    from moto.ec2.exceptions import InvalidSubnetIdError

    if not vpc_config:
        return []
    asked = sorted(set(vpc_config.get("SecurityGroupIds") or []))
    groups = tuple(g for g in asked if ec2_backend.get_security_group_from_id(g) is not None)
    if asked and not groups:
        return []
    wanted = []
    for subnet_id in dict.fromkeys(vpc_config.get("SubnetIds") or []):
        try:
            ec2_backend.get_subnet(subnet_id)
        except InvalidSubnetIdError:
            continue
        wanted.append((subnet_id, groups))
    return wanted


def use(account_id: str, region: str, function_name: str, vpc_config: dict[str, Any] | None) -> None:
    """Make the function use exactly the interfaces of vpc_config (creating or releasing them)."""
    ec2_backend = _ec2(account_id, region)
    with _LOCK:
        sweep(ec2_backend)
        combinations = _combinations(ec2_backend)
        wanted = _wanted(ec2_backend, vpc_config)
        for key, combination in combinations.items():
            if function_name in combination.users and key not in wanted:
                combination.users.discard(function_name)
                if not combination.users:
                    combination.released_at = profile.aws_seconds()
        for key in wanted:
            combination = combinations.get(key)
            if combination is None:
                subnet_id, groups = key
                eni = _eni_class(ec2_backend, ec2_backend.get_subnet(subnet_id), list(groups), function_name)
                ec2_backend.enis[eni.id] = eni
                combination = combinations[key] = Combination(eni)
            combination.users.add(function_name)
            combination.released_at = None


def _error(code: str, message: str) -> Exception:
    from moto.ec2.exceptions import EC2ClientError

    return EC2ClientError(code, message)


def _dependency(message: str) -> Exception:
    from moto.ec2.exceptions import DependencyViolationError

    return DependencyViolationError(message)


def _patch_ec2() -> None:
    from moto.ec2.models import EC2Backend

    def sweeping(name: str) -> Any:
        original = getattr(EC2Backend, name)

        @functools.wraps(original)
        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            sweep(self)
            return original(self, *args, **kwargs)

        return method

    for name in ("get_all_network_interfaces", "describe_network_interfaces"):
        setattr(EC2Backend, name, sweeping(name))

    def guarded(name: str, refusal: Any) -> Any:
        original = getattr(EC2Backend, name)

        @functools.wraps(original)
        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            if profile.current().aws:
                interfaces = lambda_interfaces(self)
                if interfaces:
                    error = refusal(self, interfaces, *args, **kwargs)
                    if error is not None:
                        raise error
            else:
                sweep(self)
            return original(self, *args, **kwargs)

        return method

    def delete_security_group(self: Any, interfaces: list, name: str | None = None, group_id: str | None = None):
        group = self.get_security_group_by_name_or_id(group_id or name) if (group_id or name) else None
        if group is not None and any(group in eni._group_set for eni in interfaces):
            return _dependency(f"resource {group.id} has a dependent object")
        return None

    def delete_subnet(self: Any, interfaces: list, subnet_id: str):
        if any(eni.subnet.id == subnet_id for eni in interfaces):
            return _dependency(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
        return None

    def delete_vpc(self: Any, interfaces: list, vpc_id: str):
        if any(eni.subnet.vpc_id == vpc_id for eni in interfaces):
            return _dependency(f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
        return None

    def delete_network_interface(self: Any, interfaces: list, eni_id: str):
        if any(eni.id == eni_id for eni in interfaces):
            return _error("InvalidParameterValue", f"Network interface '{eni_id}' is currently in use.")
        return None

    def detach_network_interface(self: Any, interfaces: list, attachment_id: str, *args: Any, **kwargs: Any):
        if any(eni.lambda_attachment.attachment_id == attachment_id for eni in interfaces):
            return _error("OperationNotPermitted", "You are not allowed to manage 'ela-attach' attachments.")
        return None

    for refusal in (
        delete_security_group,
        delete_subnet,
        delete_vpc,
        delete_network_interface,
        detach_network_interface,
    ):
        setattr(EC2Backend, refusal.__name__, guarded(refusal.__name__, refusal))


def _patch_lambda() -> None:
    from moto.awslambda.models import LambdaBackend

    original_create = LambdaBackend.create_function
    original_update = LambdaBackend.update_function_configuration
    original_delete = LambdaBackend.delete_function

    @functools.wraps(original_create)
    def create_function(self: Any, spec: dict[str, Any]) -> Any:
        fn = original_create(self, spec)
        if profile.current().aws and spec.get("VpcConfig"):
            use(self.account_id, self.region_name, fn.function_name, spec["VpcConfig"])
        return fn

    @functools.wraps(original_update)
    def update_function_configuration(self: Any, function_name: str, qualifier: str, body: dict[str, Any]) -> Any:
        result = original_update(self, function_name, qualifier, body)
        if profile.current().aws and "VpcConfig" in body:
            fn = self.get_function(function_name, qualifier)
            use(self.account_id, self.region_name, fn.function_name, getattr(fn, "_vpc_config", None))
        return result

    @functools.wraps(original_delete)
    def delete_function(self: Any, function_name: str, qualifier: str | None = None) -> None:
        name = None
        if qualifier is None and profile.current().aws:  # deleting a version leaves $LATEST's interfaces
            try:
                name = self.get_function(function_name).function_name
            except Exception:  # noqa: BLE001 - the original answers the not-found error
                name = None
        original_delete(self, function_name, qualifier)
        if name is not None:
            use(self.account_id, self.region_name, name, None)

    LambdaBackend.create_function = create_function
    LambdaBackend.update_function_configuration = update_function_configuration
    LambdaBackend.delete_function = delete_function


def install() -> None:
    global _INSTALLED, _eni_class
    if _INSTALLED:
        return
    _INSTALLED = True
    _eni_class = _make_eni_class()
    _patch_ec2()
    _patch_lambda()
