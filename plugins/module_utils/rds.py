# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""RDS calls and waiting shared by the aurora_cluster and aurora_global_cluster modules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

try:
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports the missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

# Seconds between two polls of a cluster's state.
POLL_SECONDS = 10


def describe_global_cluster(module, rds, identifier):
    """The global cluster named identifier, or None when there is none."""
    try:
        found = rds.describe_global_clusters(aws_retry=True, GlobalClusterIdentifier=identifier)
    except is_boto3_error_code("GlobalClusterNotFoundFault"):
        return None
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to describe global cluster %s" % identifier)
    for global_cluster in found.get("GlobalClusters", []):
        if global_cluster["GlobalClusterIdentifier"] == identifier:
            return global_cluster
    return None


def wait_until(module, what, done, poll_seconds=POLL_SECONDS):
    """Poll done() (first at once, then every poll_seconds) until it is true or the wait_timeout option passes.

    Nothing to wait for when the module's wait option is off or in check mode.
    """
    if not module.params["wait"] or module.check_mode:
        return
    deadline = time.time() + module.params["wait_timeout"]
    while not done():
        if time.time() > deadline:
            module.fail_json(msg="Timed out after %ss waiting for %s" % (module.params["wait_timeout"], what))
        time.sleep(poll_seconds)
