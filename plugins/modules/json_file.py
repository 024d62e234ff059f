#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)

# This file holds the documentation only: the work is done on the controller by
# plugins/action/json_file.py (no module is transferred or started).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: json_file
extends_documentation_fragment:
  - tap.multiregion.attributes
short_description: Write data as a JSON file on the controller, only when it changes
version_added: 0.1.0
description:
  - Writes O(content) as JSON (keys sorted, four-space indent like C(to_nice_json), final newline) to O(dest)
    on the Ansible controller, creating missing parent directories, without starting a module process (the
    C(file) and C(copy) modules would start three processes, C(file), C(stat) and C(copy)).
  - The file is replaced atomically and only when its text would change; the task is C(changed) only then.
options:
  dest:
    description: Path of the file on the controller.
    type: path
    required: true
  content:
    description: The data to write (a dict, a list or a scalar).
    type: raw
    required: true
  mode:
    description: Permissions of the file (octal string).
    type: str
    default: "0644"
attributes:
  action:
    description: Indicates this has a corresponding action plugin, so parts of the work run on the controller.
    support: full
author:
  - tap.multiregion maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Write the outputs of the run
  tap.multiregion.json_file:
    dest: "{{ playbook_dir }}/outputs/dev.json"
    content:
      environment: dev
      regions: "{{ outputs_by_region }}"
"""

RETURN = r"""
dest:
  description: Absolute path of the file.
  returned: always
  type: str
  sample: /work/outputs/dev.json
"""
