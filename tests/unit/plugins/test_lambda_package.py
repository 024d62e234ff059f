"""Deterministic Lambda packaging: module_utils.lambda_package and the lambda_package action."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import stat
import types
import zipfile
from pathlib import Path

import pytest
from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible_collections.tap.multiregion.plugins.action.lambda_package import DEFAULT_SRC, ActionModule
from ansible_collections.tap.multiregion.plugins.module_utils.lambda_package import (
    LambdaPackageError,
    build_zip,
    code_sha256,
    write_package,
)

REPO_ROOT = Path(__file__).resolve().parents[3]


def make_source(root: Path, files: dict[str, str | bytes], mtime: float | None = None, mode: int = 0o644) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        path.chmod(mode)
        if mtime is not None:
            os.utime(path, (mtime, mtime))
    return root


SOURCE = {
    "processor.py": "def handler(event, context):\n    return {'statusCode': 200}\n",
    "lib/util.py": "X = 1\n",
    "lib/data/schema.json": '{"a": 1}\n',
    "z_last.txt": "é unicode ✓\n",
}


@pytest.fixture
def source(tmp_path):
    return make_source(tmp_path / "src", SOURCE)


def test_same_source_gives_same_bytes_and_sha(source):
    first, sha1, files1 = build_zip(str(source))
    second, sha2, files2 = build_zip(str(source))
    assert first == second and sha1 == sha2 and files1 == files2


def test_mtimes_permissions_and_creation_order_do_not_matter(tmp_path):
    a = make_source(tmp_path / "a", SOURCE, mtime=1_000_000_000, mode=0o644)
    b = make_source(tmp_path / "b", dict(reversed(list(SOURCE.items()))), mtime=1_700_000_000, mode=0o600)
    os.utime(b / "lib", (1_234_567_890, 1_234_567_890))
    assert build_zip(str(a))[0] == build_zip(str(b))[0]


def test_sha_is_base64_sha256_of_the_zip(source):
    data, sha, _files = build_zip(str(source))
    assert sha == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert sha == code_sha256(data)
    assert len(base64.b64decode(sha)) == 32


def test_source_change_changes_sha(source):
    before = build_zip(str(source))[1]
    (source / "lib" / "util.py").write_text("X = 2\n")
    after_edit = build_zip(str(source))[1]
    (source / "new.py").write_text("")
    after_add = build_zip(str(source))[1]
    (source / "new.py").rename(source / "renamed.py")
    after_rename = build_zip(str(source))[1]
    assert len({before, after_edit, after_add, after_rename}) == 4


def test_executable_bit_is_kept_and_normalised(tmp_path):
    plain = make_source(tmp_path / "plain", {"bootstrap": "#!/bin/sh\n"}, mode=0o644)
    execu = make_source(tmp_path / "exec", {"bootstrap": "#!/bin/sh\n"}, mode=0o700)
    group = make_source(tmp_path / "group", {"bootstrap": "#!/bin/sh\n"}, mode=0o775)
    assert build_zip(str(plain))[1] != build_zip(str(execu))[1]
    assert build_zip(str(execu))[0] == build_zip(str(group))[0]
    info = zipfile.ZipFile(io.BytesIO(build_zip(str(execu))[0])).getinfo("bootstrap")
    assert stat.S_IMODE(info.external_attr >> 16) == 0o755


def test_zip_layout(source):
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "processor.cpython-311.pyc").write_bytes(b"\0")
    (source / "lib" / "stale.pyc").write_bytes(b"\0")
    (source / ".DS_Store").write_bytes(b"\0")
    (source / ".hidden").mkdir()
    (source / ".hidden" / "secret.txt").write_text("x")
    (source / "empty_dir").mkdir()
    data, _sha, files = build_zip(str(source))
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert names == sorted(SOURCE) == files
    for info in archive.infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert not info.is_dir()
        assert info.create_system == 3
        assert stat.S_IMODE(info.external_attr >> 16) == 0o644
        assert stat.S_ISREG(info.external_attr >> 16)
    for name, content in SOURCE.items():
        assert archive.read(name) == content.encode()
    assert archive.testzip() is None


def test_deflated_compression_is_deterministic_too(source):
    first = build_zip(str(source), compression="deflated")[0]
    assert first == build_zip(str(source), compression="deflated")[0]
    assert zipfile.ZipFile(io.BytesIO(first)).infolist()[0].compress_type == zipfile.ZIP_DEFLATED
    with pytest.raises(LambdaPackageError):
        build_zip(str(source), compression="bzip2")


def test_missing_or_empty_source_fails(tmp_path):
    with pytest.raises(LambdaPackageError, match="does not exist"):
        build_zip(str(tmp_path / "nope"))
    (tmp_path / "empty" / "__pycache__").mkdir(parents=True)
    with pytest.raises(LambdaPackageError, match="no files"):
        build_zip(str(tmp_path / "empty"))


def test_the_collection_handler_packages_to_processor_py():
    data, sha, files = build_zip(DEFAULT_SRC)
    assert files == ["processor.py"]
    source = (REPO_ROOT / "files" / "lambda" / "processor.py").read_bytes()
    assert zipfile.ZipFile(io.BytesIO(data)).read("processor.py") == source
    # Importing the handler in tests writes __pycache__ next to it: the package must not change.
    cache = Path(DEFAULT_SRC) / "__pycache__"
    created = not cache.exists()
    cache.mkdir(exist_ok=True)
    try:
        (cache / "tap-test-only.pyc").write_bytes(b"\0")
        assert build_zip(DEFAULT_SRC)[1] == sha
    finally:
        (cache / "tap-test-only.pyc").unlink()
        if created:
            shutil.rmtree(cache)


# ----------------------------------------------------------------------------- write_package
def test_write_package_writes_only_when_content_differs(source, tmp_path):
    dest = tmp_path / "out" / "nested" / "lambda.zip"
    check = write_package(str(source), str(dest), check_mode=True)
    assert check["changed"] is True and not dest.exists()
    assert check["previous_sha256"] is None

    first = write_package(str(source), str(dest))
    assert first["changed"] is True and dest.exists()
    assert first["sha256"] == check["sha256"] == code_sha256(dest.read_bytes())
    assert first["size"] == dest.stat().st_size
    os.utime(dest, (1, 1))

    again = write_package(str(source), str(dest))
    assert again["changed"] is False and dest.stat().st_mtime == 1  # not rewritten
    assert write_package(str(source), str(dest), check_mode=True)["changed"] is False

    (source / "processor.py").write_text("# changed\n")
    would = write_package(str(source), str(dest), check_mode=True)
    assert would["changed"] is True and would["sha256"] != first["sha256"]
    assert dest.stat().st_mtime == 1 and code_sha256(dest.read_bytes()) == first["sha256"]
    changed = write_package(str(source), str(dest))
    assert changed["changed"] is True and changed["previous_sha256"] == first["sha256"]
    assert code_sha256(dest.read_bytes()) == would["sha256"]
    assert [p.name for p in dest.parent.iterdir()] == ["lambda.zip"]  # no temporary file left


# ----------------------------------------------------------------------------- action plugin
def run_action(args: dict, playbook_dir: Path, check_mode: bool = False, diff: bool = False, search=()):
    loader = DataLoader()
    loader.set_basedir(str(playbook_dir))
    task = types.SimpleNamespace(
        args=dict(args), async_val=0, check_mode=check_mode, diff=diff, action="tap.multiregion.lambda_package",
        get_search_path=lambda: [str(p) for p in search] or [str(playbook_dir)],
    )
    connection = types.SimpleNamespace(_shell=types.SimpleNamespace(tmpdir=None))
    action = ActionModule(task, connection, play_context=None, loader=loader, templar=None)
    return action.run(task_vars={"playbook_dir": str(playbook_dir)})


def test_action_defaults_to_collection_source_and_playbook_build_dir(tmp_path):
    check = run_action({}, tmp_path, check_mode=True)
    assert check["changed"] is True
    assert not (tmp_path / ".build").exists()
    result = run_action({}, tmp_path)
    assert result["changed"] is True
    assert result["path"] == str(tmp_path / ".build" / "lambda.zip")
    assert result["sha256"] == check["sha256"] == build_zip(DEFAULT_SRC)[1]
    assert result["size"] == (tmp_path / ".build" / "lambda.zip").stat().st_size
    assert result["files"] == ["processor.py"]
    again = run_action({}, tmp_path, check_mode=True, diff=True)
    assert again["changed"] is False and "diff" not in again
    assert again["sha256"] == result["sha256"]


def test_action_relative_src_from_files_dir_and_relative_dest(tmp_path):
    make_source(tmp_path / "files" / "handler", {"index.py": "x = 1\n"})
    result = run_action({"src": "handler", "dest": "out/handler.zip"}, tmp_path, diff=True)
    assert result["changed"] is True
    assert result["path"] == str(tmp_path / "out" / "handler.zip")
    assert result["src"] == str(tmp_path / "files" / "handler")
    assert result["diff"]["after"] == "sha256: %s\n" % result["sha256"]
    assert result["diff"]["before"] == "sha256: (absent)\n"
    assert run_action({"src": "handler", "dest": "out/handler.zip"}, tmp_path)["changed"] is False


def test_action_errors(tmp_path):
    with pytest.raises(AnsibleActionFail, match="not found"):
        run_action({"src": "nope"}, tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(AnsibleActionFail, match="no files to package"):
        run_action({"src": str(tmp_path / "empty")}, tmp_path)
    with pytest.raises(AnsibleActionFail, match="compression"):
        run_action({"compression": "bzip2"}, tmp_path)
    with pytest.raises(AnsibleActionFail, match="Invalid options"):
        run_action({"region": "us-east-1"}, tmp_path)
