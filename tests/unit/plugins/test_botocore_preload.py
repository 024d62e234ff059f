"""botocore_preload: one data loader for every session of the process, filled before the fork."""

import os

import boto3
from botocore.loaders import JSONFileLoader

from ansible_collections.tap.multiregion.plugins.plugin_utils import botocore_preload


def loader_of(session):
    return session._session.get_component("data_loader")


def test_sessions_share_one_loader_whose_search_paths_do_not_grow():
    botocore_preload.share_data_loader()
    first, second = boto3.session.Session(), boto3.session.Session()
    assert loader_of(first) is loader_of(second)
    paths = loader_of(second).search_paths
    assert len(paths) == len(set(paths))


def test_preload_parses_the_models_a_forked_worker_then_finds_loaded():
    botocore_preload.preload(services=("sts", "kms"))
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker: a new session and client must not read a model file again
        os.close(read)
        opened = []
        original = JSONFileLoader.load_file
        JSONFileLoader.load_file = lambda self, path: opened.append(path) or original(self, path)
        boto3.session.Session(region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b").client("kms")
        os.write(write, str(len(opened)).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 16) == b"0"
