# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

"""Deterministic Lambda deployment packages.

The same source tree always gives the same zip bytes, whatever the files' mtimes, the
umask, the order the file system lists them in or the machine that builds it:

* only regular files, sorted by their POSIX path inside the zip; no directory entries;
* every entry dated 1980-01-01 00:00:00 (the zip epoch), made on "Unix" (create_system 3);
* permissions normalised to 0644, or 0755 when the source file has an execute bit
  (git records exactly these two modes);
* entries STORED (no compression) by default, so the bytes do not depend on the zlib
  build (zlib and zlib-ng deflate differently); ``compression="deflated"`` is available;
* caches and hidden files (``__pycache__``, ``*.pyc``, ``.*``) are left out, so running the
  code locally does not change the package.

``code_sha256`` is what Lambda reports as ``CodeSha256``: base64 of the SHA-256 digest of
the zip file, so the two can be compared to decide whether the function code must be updated.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import io
import os
import stat
import tempfile
import zipfile

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
EXCLUDED_DIRS = frozenset(("__pycache__",))
EXCLUDED_SUFFIXES = (".pyc", ".pyo")
COMPRESSION = {"stored": zipfile.ZIP_STORED, "deflated": zipfile.ZIP_DEFLATED}


class LambdaPackageError(Exception):
    pass


def code_sha256(data):
    """Base64 SHA-256 of the zip bytes, as Lambda reports CodeSha256."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def _excluded(name):
    return name.startswith(".") or name in EXCLUDED_DIRS or name.endswith(EXCLUDED_SUFFIXES)


def list_files(src):
    """Sorted (arcname, absolute path) of the files that go into the package."""
    if not os.path.isdir(src):
        raise LambdaPackageError("source directory %s does not exist" % src)
    found = []
    for root, dirs, files in os.walk(src):
        dirs[:] = [d for d in dirs if not _excluded(d)]
        for name in files:
            if _excluded(name):
                continue
            path = os.path.join(root, name)
            if not os.path.isfile(path):  # sockets, fifos, dangling links
                continue
            arcname = os.path.relpath(path, src).replace(os.sep, "/")
            found.append((arcname, path))
    if not found:
        raise LambdaPackageError("source directory %s contains no files to package" % src)
    return sorted(found)


def build_zip(src, compression="stored"):
    """Build the package of directory src in memory. Returns (zip bytes, CodeSha256, arcnames)."""
    if compression not in COMPRESSION:
        raise LambdaPackageError("compression must be one of %s" % ", ".join(sorted(COMPRESSION)))
    entries = list_files(src)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", allowZip64=False) as archive:
        for arcname, path in entries:
            with open(path, "rb") as f:
                data = f.read()
            executable = os.stat(path).st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            info = zipfile.ZipInfo(arcname, date_time=ZIP_EPOCH)
            info.create_system = 3
            info.external_attr = ((stat.S_IFREG | (0o755 if executable else 0o644)) & 0xFFFF) << 16
            info.compress_type = COMPRESSION[compression]
            if compression == "deflated":
                archive.writestr(info, data, compresslevel=9)
            else:
                archive.writestr(info, data)
    data = buf.getvalue()
    return data, code_sha256(data), [entry[0] for entry in entries]


def _read_existing(dest):
    try:
        with open(dest, "rb") as f:
            return f.read()
    except (IOError, OSError):
        return None


def write_package(src, dest, compression="stored", check_mode=False):
    """Build the package of src and write it to dest only when its bytes differ.

    Returns a dict: changed, path, sha256 (CodeSha256 of the new package), size, files,
    previous_sha256 (of the file that was at dest, None if none). In check mode nothing
    is written; changed tells whether it would have been.
    """
    data, sha, files = build_zip(src, compression=compression)
    existing = _read_existing(dest)
    changed = existing != data
    if changed and not check_mode:
        directory = os.path.dirname(os.path.abspath(dest))
        if not os.path.isdir(directory):
            os.makedirs(directory)
        fd, tmp = tempfile.mkstemp(prefix=".lambda-package-", suffix=".zip", dir=directory)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, dest)  # atomic: a reader never sees half a zip
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    return {
        "changed": changed,
        "path": dest,
        "sha256": sha,
        "size": len(data),
        "files": files,
        "previous_sha256": code_sha256(existing) if existing is not None else None,
    }
