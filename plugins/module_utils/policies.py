# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""IAM policy documents our modules manage. Every action is named: no `*` action anywhere."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def service_trust_policy(service, account_id, source_arn=None):
    """Trust policy letting one AWS service assume a role, guarded against the confused deputy."""
    condition = {"StringEquals": {"aws:SourceAccount": account_id}}
    if source_arn:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": condition,
            }
        ],
    }


def flow_log_trust_policy(region, account_id):
    source_arn = "arn:aws:ec2:%s:%s:vpc-flow-log/*" % (region, account_id)
    return service_trust_policy("vpc-flow-logs.amazonaws.com", account_id, source_arn=source_arn)


def flow_log_delivery_policy(region, account_id, log_group_name):
    group_arn = "arn:aws:logs:%s:%s:log-group:%s" % (region, account_id, log_group_name)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": [group_arn, group_arn + ":*"],
            },
        ],
    }
