#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: tag_policy
extends_documentation_fragment:
  - tap.multiregion.read_only
short_description: Enforce the required-tag policy for every region before any AWS call
version_added: 0.1.0
description:
  - Checks, in one invocation and without any AWS call, the tag set each region will put on its resources.
  - Required keys must be present and non-empty; keys and values must respect AWS limits
    (key 128 characters, value 256, at most 50 tags, no C(aws:) prefix).
  - Fails with one message per violation naming the region, the tag and the problem.
options:
  tags:
    description: Map of scope (usually the region) to the tag dict resources in that scope will carry.
    type: dict
    required: true
  required:
    description: Tag keys that must be present with a non-empty value.
    type: list
    elements: str
    default: [Environment, Region, CostCenter]
author:
  - tap.multiregion maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Check the tags of every region
  tap.multiregion.tag_policy:
    tags: "{{ dict(groups['regions'] | zip(groups['regions'] | map('extract', hostvars, 'tap_tags'))) }}"
    required: [Environment, Region, CostCenter]
"""

RETURN = r"""
checked:
  description: The scopes whose tags were checked.
  returned: success
  type: list
  elements: str
  sample: [eu-west-1, us-east-1]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tap.multiregion.plugins.module_utils.tags import check_tags


def main():
    module = AnsibleModule(
        argument_spec=dict(
            tags=dict(type="dict", required=True),
            required=dict(type="list", elements="str", default=["Environment", "Region", "CostCenter"]),
        ),
        supports_check_mode=True,
    )
    errors = []
    for scope in sorted(module.params["tags"]):
        errors.extend(check_tags(module.params["tags"][scope], module.params["required"], scope="tags of %s" % scope))
    if errors:
        module.fail_json(msg="Tag policy violated: " + "; ".join(errors), errors=errors)
    module.exit_json(changed=False, checked=sorted(module.params["tags"]))


if __name__ == "__main__":
    main()
