# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: aws_partition_regions
short_description: The region names of an AWS partition, from botocore's bundled endpoint data
version_added: 0.1.0
description:
  - Returns the regions botocore knows for a partition, without any AWS call, so the
    inventory's region hosts can be validated before anything is touched.
options:
  _terms:
    description: Partition names (default C(aws)).
    type: list
    elements: str
    required: false
"""

EXAMPLES = r"""
- name: Fail on a region name AWS does not know
  ansible.builtin.assert:
    that: inventory_hostname in lookup('tap.multiregion.aws_partition_regions', 'aws', wantlist=True)
"""

RETURN = r"""
_raw:
  description: Region names, sorted.
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

try:
    import botocore.session
except ImportError:
    botocore = None


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        if botocore is None:
            raise AnsibleLookupError("aws_partition_regions needs botocore on the controller")
        session = botocore.session.get_session()
        regions = set()
        for partition in terms or ["aws"]:
            # EC2 is offered in every region of a partition.
            regions.update(session.get_available_regions("ec2", partition_name=partition))
        return sorted(regions)
