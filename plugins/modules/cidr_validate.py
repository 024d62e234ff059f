#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cidr_validate
extends_documentation_fragment:
  - tap.multiregion.read_only
short_description: Check the VPC CIDRs of every region against the network policy
version_added: 0.1.0
description:
  - Validates, in one invocation and without any AWS call, the VPC CIDR of every region of the inventory.
  - Each CIDR must be an IPv4 network (C(ipaddress) semantics, host bits zero) of the allowed prefix length.
  - No two regions' networks may overlap in any way (identical, contained or partially overlapping).
  - The derived subnets (public C(x.y.0-2.0/24), private C(x.y.10-12.0/24)) must lie inside the VPC.
  - Fails with one message per violation naming the region(s), the field and the value.
options:
  regions:
    description: Map of region name to its VPC CIDR.
    type: dict
    required: true
  prefix_length:
    description: The prefix length every VPC CIDR must have.
    type: int
    default: 16
notes:
  - Makes no AWS call; run it before the first task that does.
author:
  - tap.multiregion maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Validate the VPC CIDRs of all regions before touching AWS
  tap.multiregion.cidr_validate:
    regions: "{{ dict(groups['regions'] | zip(groups['regions'] | map('extract', hostvars, 'vpc_cidr'))) }}"
    prefix_length: 16
"""

RETURN = r"""
networks:
  description: The validated plan per region.
  returned: success
  type: dict
  sample:
    us-east-1:
      vpc_cidr: 10.0.0.0/16
      public_subnets: [10.0.0.0/24, 10.0.1.0/24, 10.0.2.0/24]
      private_subnets: [10.0.10.0/24, 10.0.11.0/24, 10.0.12.0/24]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tap.multiregion.plugins.module_utils.network import validate_regions


def main():
    module = AnsibleModule(
        argument_spec=dict(
            regions=dict(type="dict", required=True),
            prefix_length=dict(type="int", default=16),
        ),
        supports_check_mode=True,
    )
    regions = module.params["regions"]
    prefix_length = module.params["prefix_length"]
    if not regions:
        module.fail_json(
            msg="regions: the inventory has no region hosts; "
            "add at least one host with a vpc_cidr to the 'regions' group"
        )
    if not 8 <= prefix_length <= 28:
        module.fail_json(
            msg="prefix_length: %d is outside the range AWS allows for a VPC (/16 to /28; policy may be stricter)"
            % prefix_length
        )

    plan, errors = validate_regions(regions, prefix_length)
    if errors:
        module.fail_json(msg="CIDR policy violated: " + "; ".join(errors), errors=errors)
    module.exit_json(changed=False, networks=plan)


if __name__ == "__main__":
    main()
