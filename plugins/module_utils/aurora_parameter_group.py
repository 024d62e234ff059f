# -*- coding: utf-8 -*-
# Copyright: tap.multiregion contributors
# Apache License 2.0 (see LICENSE)
"""The DB cluster parameter group an aurora_cluster owns: read, create, set parameters, delete.

Every function takes the calling module (an AwsResource) as owner: its changes, check mode and failures.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.tap.multiregion.plugins.module_utils.aurora import change_sentence
from ansible_collections.tap.multiregion.plugins.module_utils.aurora import parameter_changes
from ansible_collections.tap.multiregion.plugins.module_utils.base import Failure
from ansible_collections.tap.multiregion.plugins.module_utils.base import error_code

# ModifyDBClusterParameterGroup takes at most 20 parameters per call.
PARAMETERS_PER_CALL = 20
NOT_FOUND = ("DBParameterGroupNotFound", "DBClusterParameterGroupNotFound")


def describe(owner, rds, name):
    """The described group, or None."""
    found = owner.read("describe DB cluster parameter group %s" % name, rds.describe_db_cluster_parameter_groups,
                       DBClusterParameterGroupName=name, missing=NOT_FOUND)
    return ((found or {}).get("DBClusterParameterGroups") or [None])[0]


def user_parameters(owner, rds, name):
    """{name: value} of the parameters set in the group (Source=user); None when the group does not exist."""
    found = owner.paginate("describe the parameters of %s" % name, rds, "describe_db_cluster_parameters",
                           DBClusterParameterGroupName=name, Source="user", missing=NOT_FOUND)
    if found is None:
        return None
    return dict((x["ParameterName"], x.get("ParameterValue")) for x in found.get("Parameters", []))


def ensure(owner, rds, name, group, current, family, wanted, apply_method, description, tags):
    """Create the group (group None) and set the wanted parameters that differ; (before, after) for the diff."""
    label = "DB cluster parameter group %s" % name
    wanted = dict((k, str(v)) for k, v in (wanted or {}).items())
    if group is None:
        owner.write("create %s (%s)" % (label, family), rds.create_db_cluster_parameter_group,
                    DBClusterParameterGroupName=name, DBParameterGroupFamily=family, Description=description,
                    Tags=ansible_dict_to_boto3_tag_list(tags or {}))
        current = {}
    elif group.get("DBParameterGroupFamily") != family:
        owner.warn("parameter_group_family: %s has family %s, not %s; a family cannot be changed (use another "
                   "parameter_group_name)" % (name, group.get("DBParameterGroupFamily"), family))
    before = dict((k, (current or {}).get(k)) for k in wanted)
    items = sorted(parameter_changes(current or {}, wanted).items())
    for start in range(0, len(items), PARAMETERS_PER_CALL):
        chunk = items[start:start + PARAMETERS_PER_CALL]
        owner.write(change_sentence(label, [(k, before[k], v) for k, v in chunk]),
                    rds.modify_db_cluster_parameter_group, DBClusterParameterGroupName=name,
                    Parameters=[{"ParameterName": k, "ParameterValue": v, "ApplyMethod": apply_method}
                                for k, v in chunk])
    return before, wanted


def delete(owner, rds, name):
    """Delete the group; one still used by another cluster is kept (warning)."""
    sentence = "delete DB cluster parameter group %s" % name
    try:
        owner.write(sentence, rds.delete_db_cluster_parameter_group, DBClusterParameterGroupName=name,
                    ignore=NOT_FOUND)
    except Failure as failure:
        if error_code(failure.error) != "InvalidDBParameterGroupState":
            raise
        owner.changes.remove(sentence)  # nothing was deleted
        owner.warn("parameter group %s is still in use by another cluster; kept" % name)
