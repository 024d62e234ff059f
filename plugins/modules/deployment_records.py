#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: deployment_records
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
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
  - A write retried after an ambiguous answer (a 5xx or a lost connection, when the first attempt may have
    succeeded) finds its own record already there; that counts as written, not as a clash. Only a
    different record under the same key fails.
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
attributes:
  check_mode:
    support: full
    description: Writes nothing in check mode; reading works the same.
  diff_mode:
    support: none
    description: Records are written once, never changed, so there is no diff.
notes:
  - Retries throttling and server errors with jittered exponential backoff; the newest records are read at
    the same time.
author:
  - tap.multiregion maintainers (!UNKNOWN)
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


from ansible_collections.tap.multiregion.plugins.module_utils.base import AwsResource
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure
from ansible_collections.tap.multiregion.plugins.module_utils.base import error_code


def newest_keys(keys, last):
    """The newest `last` record keys, newest first (keys start with the UTC time)."""
    records = sorted(k for k in keys if k.endswith(".json"))
    return list(reversed(records[-last:])) if last > 0 else [], len(records)


def record_body(record):
    return (json.dumps(record, indent=4, sort_keys=True) + "\n").encode("utf-8")


class DeploymentRecords(AwsResource):
    SERVICE = "s3"

    def __init__(self, module):
        super(DeploymentRecords, self).__init__(module)
        self.s3 = self.client()
        self.bucket = self.params["bucket"]

    def read_record(self, key):
        body = self.read("read deployment record s3://%s/%s" % (self.bucket, key), self.s3.get_object,
                         Bucket=self.bucket, Key=key)["Body"].read()
        try:
            return json.loads(body)
        except ValueError as e:
            raise Failure("deployment record s3://%s/%s is not JSON: %s" % (self.bucket, key, e))

    def write_record(self):
        p = self.params
        key = p["prefix"] + p["key"]
        body = record_body(p["record"])
        try:
            self.write(
                "write deployment record s3://%s/%s" % (self.bucket, key),
                self.s3.put_object,
                bookkeeping=True,
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentType="application/json",
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=p["kms_key_id"],
                IfNoneMatch="*",
            )
        except Failure as failure:
            if error_code(failure.error) != "PreconditionFailed":
                raise
            # A retry after an ambiguous answer finds the record its first attempt wrote.
            if self.read_record(key) != p["record"]:
                raise Failure(
                    "deployment record %s already exists in %s; records are never replaced" % (key, self.bucket)
                )
        return {"key": key}

    def read_records(self):
        listing = self.paginate("list the deployment records under s3://%s/%s" % (self.bucket, self.params["prefix"]),
                                self.s3, "list_objects_v2", Bucket=self.bucket, Prefix=self.params["prefix"])
        keys, total = newest_keys([o["Key"] for o in listing.get("Contents", [])], self.params["last"])
        records = self.concurrently(*[lambda key=key: self.read_record(key) for key in keys])
        return {"records": records, "keys": keys, "total": total}

    def present(self):
        return self.write_record() if self.params["record"] is not None else self.read_records()


def main():
    DeploymentRecords.main(
        dict(
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
    )


if __name__ == "__main__":
    main()
