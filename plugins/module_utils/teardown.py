# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Deletions AWS refuses while something still holds the resource (vpc_network, aurora_network).

A Lambda function in a VPC leaves its (Hyperplane) network interfaces behind for 20 to 40 minutes after
DeleteFunction or after it leaves the VPC; until Lambda removes them, EC2 answers DependencyViolation to
DeleteSecurityGroup ("resource sg-... has a dependent object"), DeleteSubnet ("The subnet 'subnet-...'
has dependencies and cannot be deleted.") and DeleteVpc, and RDS answers InvalidDBSubnetGroupStateFault
to DeleteDBSubnetGroup while a cluster that is being deleted still uses it. A teardown retries these
refusals until a timeout (default 45 minutes), showing progress, instead of failing the first time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.tap.multiregion.plugins.module_utils.base import AWS_ERRORS
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure
from ansible_collections.tap.multiregion.plugins.module_utils.base import error_code
from ansible_collections.tap.multiregion.plugins.module_utils.base import error_message

# Lambda keeps a deleted function's network interfaces 20-40 minutes; a little more than that.
DEFAULT_TIMEOUT = 45 * 60
# Seconds between two attempts (AWS releases the interfaces in minutes, not seconds).
POLL = 15.0
IN_USE = ("DependencyViolation",)
# How many holding network interfaces a progress line names.
HOLDERS_SHOWN = 3


def holders(owner, filter_name, value):
    """' (held by eni-1: AWS Lambda VPC ENI-..., ...)' for the network interfaces that use the resource."""
    if not filter_name or not value:
        return ""
    found = owner.paginate("describe the network interfaces of %s" % value, owner.client("ec2"),
                           "describe_network_interfaces", Filters=[{"Name": filter_name, "Values": [value]}])
    interfaces = found.get("NetworkInterfaces") or []
    if not interfaces:
        return ""
    named = ["%s: %s" % (i["NetworkInterfaceId"], i.get("Description") or i.get("InterfaceType") or "no description")
             for i in interfaces[:HOLDERS_SHOWN]]
    more = len(interfaces) - HOLDERS_SHOWN
    return " (held by %s%s)" % (", ".join(named), ", and %d more" % more if more > 0 else "")


def delete_when_released(owner, sentence, call, timeout=DEFAULT_TIMEOUT, holder=(None, None), codes=IN_USE,
                         ignore=(), **kwargs):
    """owner.write(sentence, call, **kwargs), retried while AWS answers one of codes, until timeout seconds.

    holder: (DescribeNetworkInterfaces filter, value) naming the interfaces that hold the resource in the
    first progress line. ignore: codes that mean "already gone". Nothing is called in check mode (write).
    """
    refused = {}

    def attempt():
        try:
            call(aws_retry=True, **kwargs)
            return True
        except AWS_ERRORS as e:
            if error_code(e) not in codes:
                raise
            if not refused:
                owner.progress("%s: AWS refuses it for now (%s: %s)%s; trying again for up to %d min" % (
                    sentence, error_code(e), error_message(e), holders(owner, *holder), timeout // 60))
            refused["error"] = e
            return False

    def until_released(aws_retry=True, **_kwargs):
        try:
            return owner.wait_until(sentence, attempt, timeout=timeout, poll=POLL)
        except Failure as failure:
            if "error" not in refused or failure.error is not None:
                raise
            raise Failure("%s: still refused after %d s (dependency_timeout)%s" % (
                sentence, timeout, holders(owner, *holder)), refused["error"])

    return owner.write(sentence, until_released, ignore=ignore)
