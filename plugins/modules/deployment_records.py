#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: deployment_records
short_description: Write one deployment record to S3, or read the newest records
version_added: 0.1.0
description:
  - With O(record), writes it as one new JSON object C(<prefix><key>) to the bucket, encrypted with the given KMS
    key (SSE-KMS). The write is conditional (C(If-None-Match)); an existing record is never replaced.
  - With O(last), lists the records under O(prefix) (their keys start with the UTC time, so they sort by time)
    and returns the newest O(last), newest first, with the number of all records.
  - One invocation replaces M(amazon.aws.s3_object) (a head and a put, and a presigned URL nobody needs)
    or M(amazon.aws.s3_object_info) plus one M(amazon.aws.s3_object) per record read.
  - A record is run bookkeeping, not a managed resource, so writing one reports C(changed=false).
author:
  - tap.multiregion maintainers (!UNKNOWN)
options:
  bucket:
    description: Name of the bucket.
    type: str
    required: true
  prefix:
    description: Key prefix of the records, for example C(deployments/dev/).
    type: str
    required: true
  key:
    description: Name of the new record under O(prefix). Required with O(record).
    type: str
  record:
    description: The record to write (a dict). Mutually exclusive with O(last).
    type: dict
  kms_key_id:
    description: KMS key (ID, ARN or alias) that encrypts the new record. Required with O(record).
    type: str
  last:
    description: How many of the newest records to return. Mutually exclusive with O(record).
    type: int
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Writes nothing in check mode; reading works the same.
  diff_mode:
    support: none
    description: Records are written once, never changed, so there is no diff.
notes:
  - Retries throttling with jittered exponential backoff.
"""

EXAMPLES = r"""
- name: Record this deployment
  tap.multiregion.deployment_records:
    bucket: tap-data-dev-us-east-1
    prefix: deployments/dev/
    key: 20261125T120000Z-0123456789ab.json
    kms_key_id: alias/tap-dev-us-east-1
    record:
      environment: dev
      outputs: {}

- name: Read the last five
  tap.multiregion.deployment_records:
    bucket: tap-data-dev-us-east-1
    prefix: deployments/dev/
    last: 5
  register: records
"""

RETURN = r"""
key:
  description: Full key of the record written.
  returned: when a record was given
  type: str
  sample: deployments/dev/20261125T120000Z-0123456789ab.json
records:
  description: The newest O(last) records (their JSON content), newest first.
  returned: when O(last) was given
  type: list
  elements: dict
keys:
  description: Keys of the returned records, in the same order.
  returned: when O(last) was given
  type: list
  elements: str
total:
  description: Number of records under the prefix.
  returned: when O(last) was given
  type: int
  sample: 12
"""

import json

try:
    import botocore.exceptions

    AWS_ERRORS = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)
except ImportError:
    AWS_ERRORS = ()  # AnsibleAWSModule reports the missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


def newest_keys(keys, last):
    """The newest `last` record keys, newest first (keys start with the UTC time)."""
    records = sorted(k for k in keys if k.endswith(".json"))
    return list(reversed(records[-last:])) if last > 0 else [], len(records)


def write_record(module, s3, params):
    key = params["prefix"] + params["key"]
    if not module.check_mode:
        try:
            s3.put_object(
                aws_retry=True,
                Bucket=params["bucket"],
                Key=key,
                Body=(json.dumps(params["record"], indent=4, sort_keys=True) + "\n").encode("utf-8"),
                ContentType="application/json",
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=params["kms_key_id"],
                IfNoneMatch="*",
            )
        except is_boto3_error_code("PreconditionFailed"):
            module.fail_json(
                msg="deployment record %s already exists in %s; records are never replaced" % (key, params["bucket"])
            )
        except AWS_ERRORS as e:  # pylint: disable=duplicate-except
            module.fail_json_aws(e, msg="Failed to write deployment record %s to %s" % (key, params["bucket"]))
    module.exit_json(changed=False, key=key)


def read_records(module, s3, params):
    try:
        paginator = s3.get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=params["bucket"], Prefix=params["prefix"]).build_full_result()
        keys, total = newest_keys([o["Key"] for o in pages.get("Contents", [])], params["last"])
        records = [
            json.loads(s3.get_object(aws_retry=True, Bucket=params["bucket"], Key=key)["Body"].read()) for key in keys
        ]
    except AWS_ERRORS as e:
        module.fail_json_aws(
            e, msg="Failed to read the deployment records under s3://%s/%s" % (params["bucket"], params["prefix"])
        )
    except ValueError as e:
        module.fail_json(
            msg="A deployment record under s3://%s/%s is not JSON: %s" % (params["bucket"], params["prefix"], e)
        )
    module.exit_json(changed=False, records=records, keys=keys, total=total)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            bucket=dict(type="str", required=True),
            prefix=dict(type="str", required=True),
            key=dict(type="str", no_log=False),
            record=dict(type="dict"),
            kms_key_id=dict(type="str"),
            last=dict(type="int"),
        ),
        mutually_exclusive=[("record", "last")],
        required_one_of=[("record", "last")],
        required_by={"record": ("key", "kms_key_id")},
        supports_check_mode=True,
    )
    s3 = module.client("s3", retry_decorator=AWSRetry.jittered_backoff())
    if module.params["record"] is not None:
        write_record(module, s3, module.params)
    read_records(module, s3, module.params)


if __name__ == "__main__":
    main()
