# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: vpc_subnets
short_description: The public or private /24 subnets derived from a VPC CIDR
version_added: 0.1.0
description:
  - Public subnets are the 1st-3rd /24 of the VPC (C(x.y.0.0/24) .. C(x.y.2.0/24)),
    private subnets the 11th-13th (C(x.y.10.0/24) .. C(x.y.12.0/24)).
  - Uses the same code as the cidr_validate module, so what was validated is what is built.
positional: tier
options:
  _input:
    description: The VPC CIDR.
    type: str
    required: true
  tier:
    description: Which subnets.
    type: str
    choices: [public, private]
    required: true
"""

EXAMPLES = r"""
private_subnets: "{{ '10.1.0.0/16' | tap.multiregion.vpc_subnets('private') }}"
# => ['10.1.10.0/24', '10.1.11.0/24', '10.1.12.0/24']
"""

RETURN = r"""
_value:
  description: Subnet CIDRs in order.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.tap.multiregion.plugins.module_utils.network import PRIVATE_SUBNET_INDEXES
from ansible_collections.tap.multiregion.plugins.module_utils.network import PUBLIC_SUBNET_INDEXES
from ansible_collections.tap.multiregion.plugins.module_utils.network import NetworkPolicyError
from ansible_collections.tap.multiregion.plugins.module_utils.network import derive_subnets


def vpc_subnets(cidr, tier):
    indexes = {"public": PUBLIC_SUBNET_INDEXES, "private": PRIVATE_SUBNET_INDEXES}.get(tier)
    if indexes is None:
        raise AnsibleFilterError("vpc_subnets: tier must be 'public' or 'private', got %r" % (tier,))
    try:
        return derive_subnets(cidr, indexes)
    except (NetworkPolicyError, ValueError) as exc:
        raise AnsibleFilterError("vpc_subnets: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"vpc_subnets": vpc_subnets}
