#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

# This file holds the documentation only: the work is done on the controller by
# plugins/action/lambda_package.py (no module is transferred or started).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: lambda_package
short_description: Build a deterministic Lambda deployment package on the controller
version_added: 0.1.0
description:
  - Zips a source directory into a Lambda deployment package on the Ansible controller, without starting a module.
  - The package is deterministic, so the same source always gives the same bytes and the same hash, whatever the
    files' modification times, the umask or the file system order. Entries are regular files only, sorted by path,
    dated 1980-01-01, with permissions normalised to 0644 (0755 for executable files).
  - C(__pycache__) directories, C(*.pyc)/C(*.pyo) files and hidden files are left out.
  - The file at O(dest) is written only when its content would change; the task is C(changed) only then.
  - Returns the package's SHA-256 in the form Lambda reports as C(CodeSha256) (base64 of the digest), so a later
    task can compare it with the deployed function and update the code only when it differs.
options:
  src:
    description:
      - Directory whose files form the package.
      - A relative path is looked up like the C(copy) module does (the role's C(files/), then the playbook's C(files/)).
      - Default is the collection's C(files/lambda) directory (the data processor).
    type: path
  dest:
    description:
      - Path of the zip file to write on the controller. Missing parent directories are created.
      - A relative path is relative to the playbook directory.
      - Default is C(.build/<basename of src>.zip) in the playbook directory.
    type: path
  compression:
    description:
      - C(stored) (default) gives the same bytes on every controller; C(deflated) gives a smaller file whose bytes
        may differ between zlib builds.
    type: str
    choices: [deflated, stored]
    default: stored
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Builds the package in memory, reports whether the file would change and returns its sha256; writes nothing.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: partial
    details: Shows the old and the new sha256 of the package.
  action:
    description: Indicates this has a corresponding action plugin, so parts of the work run on the controller.
    support: full
  async:
    description: Supports being used with the C(async) keyword.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: all
    details: Runs on the controller only.
notes:
  - When several hosts build the same package, use O(dest) once with C(run_once) (or per host paths) so the hosts
    do not write the same file at the same time; writes are atomic either way.
author:
  - tap.multiregion maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Build the data processor package ({{ inventory_hostname }})
  tap.multiregion.lambda_package:
    dest: "{{ playbook_dir }}/.build/data-processor.zip"
  run_once: true
  register: lambda_api_package

- name: Build a package from a role's files/ directory
  tap.multiregion.lambda_package:
    src: handler
    dest: /tmp/handler.zip
  register: handler_package

- name: Deploy the package (amazon.aws.lambda uploads it only when its hash differs from CodeSha256)
  amazon.aws.lambda:
    name: "data-processor-{{ tap_environment }}-{{ inventory_hostname }}"
    zip_file: "{{ lambda_api_package.path }}"

- name: Tell whether the deployed code is the package (check mode included)
  ansible.builtin.debug:
    msg: "{{ 'up to date' if function_info.functions[0].code_sha256 == lambda_api_package.sha256 else 'outdated' }}"
"""

RETURN = r"""
path:
  description: Absolute path of the package on the controller (in check mode, where it would be written).
  returned: success
  type: str
  sample: /work/project/playbooks/.build/lambda.zip
src:
  description: The source directory that was packaged.
  returned: success
  type: str
  sample: /work/project/files/lambda
sha256:
  description: Base64-encoded SHA-256 of the zip file, comparable with the function's C(CodeSha256).
  returned: success
  type: str
  sample: 0b2mP3aF8c5Hn2d0eJmJ1ozR3sZ1y3fN7rYk0s1Ha9U=
size:
  description: Size of the package in bytes.
  returned: success
  type: int
  sample: 10240
files:
  description: The paths inside the package, in the order they are stored.
  returned: success
  type: list
  elements: str
  sample: [processor.py]
"""
