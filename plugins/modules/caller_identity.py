#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: caller_identity
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - tap.multiregion.read_only
short_description: Return the AWS account, ARN, user ID and partition of the caller with one STS call
version_added: 0.1.0
description:
  - Calls STS C(GetCallerIdentity) once and returns the account ID, the caller's ARN and user ID, and the partition
    (C(aws), C(aws-cn), C(aws-us-gov)) taken from the ARN.
  - A leaner M(amazon.aws.aws_caller_info) (which also lists the IAM account aliases); with the collection's action
    plugin it runs inside the controller's worker process.
  - Reads only; never changes anything (C(changed=false)).
options: {}
notes:
  - Retries throttling with jittered exponential backoff.
  - C(GetCallerIdentity) needs no IAM permission.
author:
  - tap.multiregion maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Look up the account and partition
  tap.multiregion.caller_identity:
  register: caller

- name: Use them
  ansible.builtin.debug:
    msg: "account {{ caller.account }} in partition {{ caller.partition }} as {{ caller.arn }}"
"""

RETURN = r"""
account:
  description: The AWS account ID.
  returned: success
  type: str
  sample: "123456789012"
arn:
  description: ARN of the caller.
  returned: success
  type: str
  sample: arn:aws:iam::123456789012:user/deployer
user_id:
  description: Unique identifier of the caller.
  returned: success
  type: str
  sample: AIDAEXAMPLEID
partition:
  description: Partition of the account, from the caller's ARN.
  returned: success
  type: str
  sample: aws
"""

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn

from ansible_collections.tap.multiregion.plugins.module_utils.base import AwsResource


def identity_facts(response):
    """The module's result fields from a GetCallerIdentity response."""
    arn = response["Arn"]
    return {
        "account": response["Account"],
        "arn": arn,
        "user_id": response["UserId"],
        "partition": parse_aws_arn(arn)["partition"],
    }


class CallerIdentity(AwsResource):
    SERVICE = "sts"

    def present(self):
        return identity_facts(self.read("get the caller identity", self.client().get_caller_identity))


def main():
    CallerIdentity.main({})


if __name__ == "__main__":
    main()
