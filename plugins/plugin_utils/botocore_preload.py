# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""Load botocore's service models once in the controller, before any worker is forked.

Each boto3 session gets a new botocore data loader, so every in-process module invocation (a new
forked worker, plugin_utils/inprocess.py) parsed the JSON models of the services it uses again:
about 50-110 ms of CPU per client, several clients per module, some 14 modules per region. With
one loader for every session of the process, filled in the controller process before it forks its
workers, the workers find the models already parsed (copy-on-write memory) and a client costs
about 10 ms.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    import boto3
    import botocore.exceptions
    import botocore.session
except ImportError:  # pragma: no cover - the modules report the missing library themselves
    boto3 = None

# Every service our modules and the amazon.aws modules of the roles create a client for.
SERVICES = (
    "apigatewayv2",
    "backup",
    "cloudwatch",
    "dynamodb",
    "ec2",
    "iam",
    "kms",
    "lambda",
    "logs",
    "rds",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "sts",
)


class _SearchPaths(list):
    """boto3 appends its data path to the loader of every new session: once is enough."""

    def append(self, path):
        if path not in self:
            super(_SearchPaths, self).append(path)


def share_data_loader():
    """Make every botocore session of this process use one data loader per search path."""
    if getattr(botocore.session.create_loader, "tap_shared", False):
        return
    original = botocore.session.create_loader
    loaders = {}

    def create_loader(search_path_string=None):
        if search_path_string not in loaders:
            loader = original(search_path_string)
            loader._search_paths = _SearchPaths(loader._search_paths)
            loaders[search_path_string] = loader
        return loaders[search_path_string]

    create_loader.tap_shared = True
    botocore.session.create_loader = create_loader


def preload(services=SERVICES, region="us-east-1"):
    """Share the loader and load the models (and endpoint rules) of services; no AWS call is made."""
    if boto3 is None:
        return
    share_data_loader()
    session = boto3.session.Session(aws_access_key_id="preload", aws_secret_access_key="preload", region_name=region)
    for service in services:
        try:
            client = session.client(service)
        except botocore.exceptions.UnknownServiceError:  # an older botocore: its modules fail on their own
            continue
        # Paginators and waiters are further model files, loaded at a client's first can_paginate /
        # get_waiter (cached by service, kind and the client's API version); finding them lists botocore's
        # data directories: about 20 ms of CPU in every worker that paginates.
        version = client.meta.service_model.api_version
        for kind in ("paginators-1", "waiters-2"):
            try:
                client._loader.load_service_model(service, kind, version)
            except botocore.exceptions.DataNotFoundError:  # a service without waiters
                continue
