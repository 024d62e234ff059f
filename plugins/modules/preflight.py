#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: preflight
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - tap.multiregion.read_only
short_description: Read-only checks of one region against what AWS allows, before anything is written
version_added: 0.2.0
description:
  - Asks AWS, with reads only and all at the same time, whether the stack this collection would deploy in the
    region can be built there, so that a run fails before its first write instead of minutes into it.
  - Checks that the region has O(zone_count) availability zones; that the Aurora engine version exists and the
    instance class is orderable for it (and supports global databases when O(aurora.global_database)); that the
    account's Lambda concurrency leaves at least 100 unreserved executions with the function's reserved
    concurrency; that each bucket name in O(buckets) is free or already this account's (S3 names are global); and
    notices KMS keys in O(kms_aliases) that are pending deletion (the deploy cancels their deletion).
  - Never writes; the result is the same in check mode. Each problem names the region, the setting, the value and
    what AWS allows.
options:
  zone_count:
    description: Availability zones the region must offer (the network spreads its subnets over them).
    type: int
    default: 3
  aurora:
    description: The Aurora cluster that would be built; omit to skip the Aurora checks.
    type: dict
    suboptions:
      engine:
        description: Engine of the cluster.
        type: str
        default: aurora-mysql
      engine_version:
        description: Engine version.
        type: str
        required: true
      instance_class:
        description: Instance class of every instance.
        type: str
        required: true
      global_database:
        description: Whether the cluster is a member of a global database (no burstable classes there).
        type: bool
        default: false
  lambda_reserved_concurrency:
    description:
      - Reserved concurrency the function would get; null for none (then the quota is not checked).
    type: int
  lambda_function_name:
    description: Name of the function, whose current reservation counts as already taken from the account.
    type: str
  buckets:
    description: S3 bucket names the stack would create or own in this region.
    type: list
    elements: str
    default: []
  kms_aliases:
    description: Aliases of KMS keys the stack would use; a key pending deletion is reported as a notice.
    type: list
    elements: str
    default: []
  fail_on_problems:
    description: Fail the task when a check finds a problem (otherwise only return them in RV(problems)).
    type: bool
    default: true
notes:
  - Reads made, at the same time, C(DescribeAvailabilityZones), C(DescribeDBEngineVersions),
    C(DescribeOrderableDBInstanceOptions), C(GetAccountSettings), C(GetFunctionConcurrency), one C(HeadBucket) per
    bucket and one C(DescribeKey) per alias.
author:
  - tap.multiregion maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Check the region against what AWS allows
  tap.multiregion.preflight:
    zone_count: 3
    aurora:
      engine_version: 8.0.mysql_aurora.3.04.0
      instance_class: db.t4g.medium
    lambda_reserved_concurrency: null
    buckets: [tap-data-dev-us-east-1-123456789012, tap-logs-dev-us-east-1-123456789012]
    kms_aliases: [alias/tap-dev-us-east-1]
"""

RETURN = r"""
problems:
  description: What AWS would refuse, one sentence each (region, setting, value, what is allowed).
  returned: always
  type: list
  elements: str
  sample: ["us-west-1: vpc_zone_count=3 but the region has 2 availability zones (us-west-1a, us-west-1b)"]
notices:
  description: What the run will do about the current state, for the operator (e.g. a key pending deletion).
  returned: always
  type: list
  elements: str
zones:
  description: The available availability zones of the region, in the order the region lists them.
  returned: always
  type: list
  elements: str
orderable_instance_classes:
  description: Instance classes orderable for the engine version in the region (sorted), when O(aurora) was given.
  returned: when O(aurora) is given
  type: list
  elements: str
changes:
  description: Always empty (the module only reads).
  returned: always
  type: list
  elements: str
"""


from ansible_collections.tap.multiregion.plugins.module_utils import preflight as checks
from ansible_collections.tap.multiregion.plugins.module_utils.base import AwsResource
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure


class Preflight(AwsResource):
    SERVICE = "ec2"

    def zones(self):
        found = self.read("describe the availability zones", self.client("ec2").describe_availability_zones,
                          Filters=[{"Name": "state", "Values": ["available"]},
                                   {"Name": "zone-type", "Values": ["availability-zone"]}])
        return [z["ZoneName"] for z in found["AvailabilityZones"]]

    def engine_versions(self, aurora):
        found = self.read("describe the engine versions of %s" % aurora["engine"],
                          self.client("rds").describe_db_engine_versions, Engine=aurora["engine"],
                          EngineVersion=aurora["engine_version"], missing="DBEngineVersionNotFoundFault")
        return [v["EngineVersion"] for v in (found or {}).get("DBEngineVersions", [])]

    def orderable(self, aurora):
        what = "describe the orderable instance classes of %s %s" % (aurora["engine"], aurora["engine_version"])
        found = self.paginate(what, self.client("rds"), "describe_orderable_db_instance_options",
                              Engine=aurora["engine"], EngineVersion=aurora["engine_version"])
        return found.get("OrderableDBInstanceOptions", [])

    def lambda_settings(self):
        return self.read("read the Lambda account settings", self.client("lambda").get_account_settings)

    def function_reservation(self, name):
        found = self.read("read the reserved concurrency of %s" % name, self.client("lambda").get_function_concurrency,
                          FunctionName=name, missing="ResourceNotFoundException")
        return (found or {}).get("ReservedConcurrentExecutions")

    def bucket_owner(self, name):
        """'ours', 'free' or 'foreign' (another account owns the name)."""
        try:
            self.read("look up bucket %s" % name, self.client("s3").head_bucket, Bucket=name)
        except Failure as failure:
            status = (getattr(failure.error, "response", None) or {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
            code = (getattr(failure.error, "response", None) or {}).get("Error", {}).get("Code")
            if status == 404 or code in ("404", "NoSuchBucket", "NotFound"):
                return "free"
            if status == 403 or code in ("403", "AccessDenied", "Forbidden"):
                return "foreign"
            raise
        return "ours"

    def key_state(self, alias):
        found = self.read("describe key %s" % alias, self.client("kms").describe_key, KeyId=alias,
                          missing="NotFoundException")
        return (found or {}).get("KeyMetadata", {}).get("KeyState")

    def present(self):
        p = self.params
        aurora = p["aurora"]
        function = p["lambda_function_name"]
        reads = {
            "zones": self.zones,
            "buckets": lambda: dict((b, self.bucket_owner(b)) for b in p["buckets"]),
            "keys": lambda: dict((a, self.key_state(a)) for a in p["kms_aliases"]),
        }
        if aurora:
            reads["versions"] = lambda: self.engine_versions(aurora)
            reads["orderable"] = lambda: self.orderable(aurora)
        if p["lambda_reserved_concurrency"] is not None:
            reads["lambda"] = self.lambda_settings
            reads["reserved"] = lambda: self.function_reservation(function) if function else None
        names = sorted(reads)
        answers = self.concurrently(*[reads[n] for n in names])
        found = dict((name, answers[i]) for i, name in enumerate(names))

        region = self.region
        problems = checks.zone_problems(region, found["zones"], p["zone_count"])
        problems += checks.bucket_problems(region, found["buckets"])
        notices = checks.key_notices(region, found["keys"])
        facts = {"zones": found["zones"]}
        if aurora:
            problems += checks.aurora_problems(region, aurora, found["versions"], found["orderable"])
            facts["orderable_instance_classes"] = checks.instance_classes(found["orderable"])
        if "lambda" in found:
            problems += checks.concurrency_problems(region, p["lambda_reserved_concurrency"], found["lambda"],
                                                    found.get("reserved"))
        facts.update(problems=problems, notices=notices)
        for notice in notices:
            self.warn(notice)
        if problems and p["fail_on_problems"]:
            raise Failure("preflight found what AWS would refuse: %s" % "; ".join(problems), **facts)
        return facts


def main():
    argument_spec = dict(
        zone_count=dict(type="int", default=3),
        aurora=dict(
            type="dict",
            options=dict(
                engine=dict(type="str", default="aurora-mysql"),
                engine_version=dict(type="str", required=True),
                instance_class=dict(type="str", required=True),
                global_database=dict(type="bool", default=False),
            ),
        ),
        lambda_reserved_concurrency=dict(type="int"),
        lambda_function_name=dict(type="str"),
        buckets=dict(type="list", elements="str", default=[]),
        kms_aliases=dict(type="list", elements="str", default=[], no_log=False),
        fail_on_problems=dict(type="bool", default=True),
    )
    Preflight.main(argument_spec)


if __name__ == "__main__":
    main()
