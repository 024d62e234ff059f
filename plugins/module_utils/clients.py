# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""boto3 sessions and clients made once per process and reused.

amazon.aws's ``module.client()`` builds a new boto3 session for every client: new credential resolution
(with an assume-role or SSO profile an STS call each time), new connection pool. Here one session per
set of credentials and one client per service, region, endpoint and credentials serve every module
running in the process (our modules run in-process, several managers and shared helpers per
invocation), each client wrapped with amazon.aws's jittered-backoff retry and the service's extra
retry codes.

Temporary credentials of assume-role profiles are cached on disk in the same place and format as the
AWS CLI's (``~/.aws/cli/cache``, botocore's JSONFileCache), so one run resolves them once per role,
not once per worker process.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import threading

try:
    import boto3
    import botocore.config
    import botocore.credentials
    import botocore.exceptions
    import botocore.utils
except ImportError:  # pragma: no cover - AnsibleAWSModule reports the missing library
    boto3 = None

from ansible_collections.amazon.aws.plugins.module_utils.botocore import get_aws_connection_info
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

# Error codes every service answers when it is busy or briefly unavailable, on top of AWSRetry's own list
# (which knows Throttling but not ThrottlingException or S3's SlowDown).
COMMON_RETRY_CODES = (
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestTimeout",
    "RequestTimeoutException",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
)
# Per service: codes that mean "try again shortly" for that service only.
SERVICE_RETRY_CODES = {
    "kms": ("DependencyTimeoutException", "KMSInternalException"),
    "lambda": ("ServiceException", "EC2ThrottledException"),
    "logs": ("OperationAbortedException", "ServiceUnavailableException"),
    "dynamodb": ("LimitExceededException", "InternalServerError"),
    "secretsmanager": ("InternalServiceError",),
    "sns": ("InternalError", "ThrottledException"),
    "sqs": ("RequestThrottled",),
    "iam": ("ServiceFailure", "ConcurrentModification"),
    "backup": ("ServiceUnavailableException",),
    "apigatewayv2": ("ConflictException",),
    "cloudwatch": ("InternalServiceFault",),
    "rds": ("InternalFailure",),
    "ec2": ("InternalError",),
}
# Threads that may share one client (bounded thread pool of module_utils/base.py).
MAX_POOL_CONNECTIONS = 16
USER_AGENT_EXTRA = "tap.multiregion"

_lock = threading.RLock()
_sessions = {}
_clients = {}
CLI_CACHE_DIR = os.path.join(os.path.expanduser("~"), ".aws", "cli", "cache")


def retry_decorator(service, extra_codes=()):
    """AWSRetry.jittered_backoff with the common and the service's extra retry codes (and extra_codes)."""
    codes = list(COMMON_RETRY_CODES) + list(SERVICE_RETRY_CODES.get(service, ())) + list(extra_codes)
    return AWSRetry.jittered_backoff(retries=10, delay=1, max_delay=30, catch_extra_error_codes=codes)


def _secret_fingerprint(value):
    # Secrets never become part of a cache key in clear text (keys show up in debuggers and tracebacks).
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16] if value else None


def _credential_key(boto_params):
    return (
        boto_params.get("profile_name"),
        boto_params.get("aws_access_key_id"),
        _secret_fingerprint(boto_params.get("aws_secret_access_key")),
        _secret_fingerprint(boto_params.get("aws_session_token")),
    )


def _share_assume_role_cache(session):
    """Cache assumed-role credentials where the AWS CLI does, so each run assumes a role once."""
    try:
        resolver = session._session.get_component("credential_provider")
        provider = resolver.get_provider("assume-role")
        provider.cache = botocore.utils.JSONFileCache(CLI_CACHE_DIR)
    except (AttributeError, KeyError, botocore.exceptions.BotoCoreError):  # an unusual provider chain: no cache
        pass


def session_for(boto_params):
    """One boto3 session per credentials (profile or keys) in this process."""
    key = _credential_key(boto_params)
    with _lock:
        session = _sessions.get(key)
        if session is None:
            if boto_params.get("profile_name"):
                session = boto3.session.Session(profile_name=boto_params["profile_name"])
                _share_assume_role_cache(session)
            else:
                session = boto3.session.Session(
                    aws_access_key_id=boto_params.get("aws_access_key_id"),
                    aws_secret_access_key=boto_params.get("aws_secret_access_key"),
                    aws_session_token=boto_params.get("aws_session_token"),
                )
            _sessions[key] = session
        return session


def connection_of(module, region=None):
    """(region, endpoint_url, boto_params) of the module's connection options; region overrides the module's."""
    module_region, endpoint_url, boto_params = get_aws_connection_info(module)
    return region or module_region, endpoint_url, boto_params


def client(module, service, region=None, extra_retry_codes=()):
    """The process's client for service in region (default: the module's), with retries (``aws_retry=True``)."""
    region, endpoint_url, boto_params = connection_of(module, region)
    config = botocore.config.Config(user_agent_extra=USER_AGENT_EXTRA, max_pool_connections=MAX_POOL_CONNECTIONS)
    if boto_params.get("aws_config") is not None:
        config = config.merge(boto_params["aws_config"])
    verify = boto_params.get("verify")
    key = (
        service,
        region,
        endpoint_url,
        _credential_key(boto_params),
        str(verify),
        tuple(extra_retry_codes),
        repr(sorted((module.params.get("aws_config") or {}).items())),
    )
    with _lock:
        wrapped = _clients.get(key)
        if wrapped is None:
            raw = session_for(boto_params).client(
                service, region_name=region, endpoint_url=endpoint_url, config=config, verify=verify
            )
            wrapped = RetryingBotoClientWrapper(raw, retry_decorator(service, extra_retry_codes))
            _clients[key] = wrapped
        return wrapped


def forget():
    """Drop every cached session and client (tests; a process that changes credentials)."""
    with _lock:
        _sessions.clear()
        _clients.clear()
