# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""A VPC's flow log to an encrypted CloudWatch Logs group, with its delivery role (vpc_network).

The role and the log group are made by the shared helpers (resources/service_role.py, log_group.py);
the owner is the calling module's AwsResource (its changes, check mode and failures are the owner's).

What AWS does that this code is written for:

* A flow log created with a role that the flow-logs service cannot assume yet (a role created seconds
  ago: IAM is eventually consistent) is created, but DescribeFlowLogs answers DeliverLogsStatus
  ``FAILED`` with DeliverLogsErrorMessage ``Access error`` ("the IAM role associated with the flow log
  does not have sufficient permissions to publish to CloudWatch Logs"), and the flow log never recovers:
  it has to be deleted and created again once the role works. So the role is made first in the run
  (IAM propagates it while the network is built), a flow log created with a new role is read back and
  recreated after a delay until it delivers, and any run repairs a flow log it finds failed so.
* AWS cannot change a flow log: one that differs in an attribute we set is deleted and created again.
* CreateFlowLogs answers a refusal per resource in ``Unsuccessful`` (HTTP 200), not as an error.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications

from ansible_collections.tap.multiregion.plugins.module_utils import policies
from ansible_collections.tap.multiregion.plugins.module_utils import vpc_network as plan
from ansible_collections.tap.multiregion.plugins.module_utils.base import AWS_ERRORS
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure
from ansible_collections.tap.multiregion.plugins.module_utils.base import scaled
from ansible_collections.tap.multiregion.plugins.module_utils.base import show
from ansible_collections.tap.multiregion.plugins.module_utils.resources import log_group
from ansible_collections.tap.multiregion.plugins.module_utils.resources import service_role

DELIVERY_POLICY_NAME = "flow-log-delivery"
# Seconds between deleting a flow log the new role could not deliver with and creating it again: IAM makes
# a new role usable by a service within seconds.
RETRY_DELAY = 10.0


def ensure_prerequisites(owner, settings, tags_for, purge_tags):
    """The delivery role and the encrypted log group, side by side (independent; their changes are recorded
    role first; log_group retries while a new key propagates).

    settings: the module's flow_log option; tags_for(name): the tags of a resource called name.
    Returns (role as service_role.ensure returns it, with the ARN it will have in check mode, diff before,
    diff after).
    """
    region, account, partition = owner.region, settings["account_id"], settings["partition"]
    group_arn = log_group.arn(partition, region, account, settings["log_group_name"])
    role, group = owner.side_by_side(
        lambda m: service_role.ensure(
            m, settings["role_name"], policies.flow_log_trust_policy(partition, region, account),
            inline_policies={DELIVERY_POLICY_NAME: policies.flow_log_delivery_policy(group_arn)},
            tags=tags_for(settings["role_name"]), purge_tags=purge_tags,
        ),
        lambda m: log_group.ensure(
            m, settings["log_group_name"], retention_days=settings["retention_days"],
            kms_key_arn=settings["kms_key_arn"], tags=tags_for(settings["log_group_name"]), purge_tags=purge_tags,
        ),
    )
    before = {"role": role.pop("before"), "log_group": group[0]}
    after = {"role": role.pop("after"), "log_group": group[1]}
    if role["arn"] is None:  # check mode: the ARN the new role will have
        role["arn"] = service_role.role_arn(partition, account, settings["role_name"])
    return role, before, after


def desired_view(settings, role_arn):
    return {"LogGroupName": settings["log_group_name"], "DeliverLogsPermissionArn": role_arn,
            "TrafficType": settings["traffic_type"], "MaxAggregationInterval": settings["max_aggregation_interval"],
            "LogFormat": settings["log_format"] or plan.DEFAULT_LOG_FORMAT}


def ensure(owner, vpc_id, vpc_name, settings, flow_logs, role, tags, purge_tags):
    """The VPC's flow log. flow_logs: DescribeFlowLogs of the VPC; role: from ensure_prerequisites.

    Returns (flow log id or None in check mode, diff before, diff after).
    """
    ec2 = owner.client("ec2")
    name = tags["Name"]
    label = "flow log %s" % name
    desired = desired_view(settings, role["arn"])
    kept = None
    for flow_log in (f for f in flow_logs if plan.is_our_flow_log(f, name, settings["log_group_name"])):
        reasons = ["%s %s -> %s" % (what, show(was), show(wanted))
                   for what, was, wanted in plan.flow_log_differences(flow_log, desired)]
        if plan.delivery_refused(flow_log):
            reasons.append("delivery FAILED (%s)" % flow_log.get("DeliverLogsErrorMessage"))
        if kept is None and not reasons:
            kept = flow_log
            continue
        owner.write("%s (%s): %s; delete it (AWS cannot change a flow log)" % (
            label, flow_log["FlowLogId"], ", ".join(reasons) or "a second flow log to the same log group"),
            ec2.delete_flow_logs, FlowLogIds=[flow_log["FlowLogId"]])
    before = plan.flow_log_view(kept) if kept else None
    if kept is not None:
        flow_log_id = kept["FlowLogId"]
        owner.sync_tags(
            label, boto3_tag_list_to_ansible_dict(kept.get("Tags") or []), tags,
            tag=lambda to_set: ec2.create_tags(aws_retry=True, Resources=[flow_log_id],
                                               Tags=ansible_dict_to_boto3_tag_list(to_set)),
            untag=lambda keys: ec2.delete_tags(aws_retry=True, Resources=[flow_log_id],
                                               Tags=[{"Key": k} for k in keys]),
            purge=purge_tags,
        )
        return flow_log_id, before, desired
    kwargs = dict(desired, ResourceIds=[vpc_id], ResourceType="VPC", LogDestinationType="cloud-watch-logs",
                  TagSpecifications=boto3_tag_specifications(tags, ["vpc-flow-log"]))
    sentence = "create %s (%s traffic of VPC %s to log group %s)" % (
        label, settings["traffic_type"], vpc_name, settings["log_group_name"])
    flow_log_id = owner.write(sentence, lambda aws_retry=True, **kw: create(ec2, **kw), **kwargs)
    if flow_log_id and role["created"]:
        flow_log_id = until_delivering(owner, sentence, label, flow_log_id, kwargs)
    return flow_log_id, before, desired


def create(ec2, **kwargs):
    """CreateFlowLogs for one resource: the flow log id; a Failure naming AWS's error for an Unsuccessful item."""
    created = ec2.create_flow_logs(aws_retry=True, **kwargs)
    for item in created.get("Unsuccessful") or []:
        error = item.get("Error") or {}
        raise Failure("create a flow log for %s: AWS refused it: %s: %s" % (
            item.get("ResourceId"), error.get("Code"), error.get("Message")))
    return created["FlowLogIds"][0]


def until_delivering(owner, sentence, label, flow_log_id, kwargs):
    """Read the new flow log's delivery status; while it is FAILED with Access error (the new role was not
    usable yet), delete it and create it again after RETRY_DELAY, until it delivers or wait_timeout passes.

    FlowLogStatus is ACTIVE for every flow log AWS keeps; whether it delivers is DeliverLogsStatus
    (SUCCESS or FAILED, with DeliverLogsErrorMessage Rate limited, Access error or Unknown error)."""
    ec2 = owner.client("ec2")
    state = {"id": flow_log_id}

    def delivering():
        try:
            found = owner.paginate("read the delivery status of %s" % label, ec2, "describe_flow_logs",
                                   FlowLogIds=[state["id"]])["FlowLogs"]
            flow_log = found[0] if found else {}
            if flow_log.get("DeliverLogsStatus") != "FAILED":
                return state["id"]
            message = flow_log.get("DeliverLogsErrorMessage")
            if not plan.delivery_refused(flow_log):  # Rate limited, Unknown error: recreating does not help
                owner.warn("%s (%s): delivery FAILED: %s" % (label, state["id"], message))
                return state["id"]
            delay = scaled(RETRY_DELAY)  # AWS's clock: shorter against the time-scaled emulator
            owner.progress("%s (%s): delivery FAILED (%s) with the new role; creating it again in %d s"
                           % (label, state["id"], message, delay))
            ec2.delete_flow_logs(aws_retry=True, FlowLogIds=[state["id"]])
            time.sleep(delay)
            state["id"] = create(ec2, **kwargs)
            return None
        except AWS_ERRORS as e:
            raise Failure(sentence, e)

    return owner.wait_until("%s to deliver with the new role" % label, delivering, poll=1.0)


def delete_prerequisites(owner, settings):
    """Teardown: the log group and the delivery role (when they exist)."""
    log_group.delete(owner, settings["log_group_name"])
    service_role.delete(owner, settings["role_name"])
