"""module_utils/tag_index: when the tagging index is trusted and when a resource's own read decides."""

from __future__ import annotations

from ansible_collections.tap.multiregion.plugins.module_utils import tag_index


class Owner:
    """Just the two AwsResource methods confirmed() uses."""

    @staticmethod
    def concurrently(*thunks):
        return [thunk() for thunk in thunks]


WANTED = {"Environment": "dev", "Region": "eu-west-1"}


def own_reads(actual):
    asked = []

    def read(arn):
        asked.append(arn)
        return actual[arn]

    return read, asked


def test_an_index_showing_the_wanted_tags_is_trusted():
    read, asked = own_reads({})
    found = tag_index.confirmed(Owner(), ["a", "b"], {"a": dict(WANTED), "b": dict(WANTED)}, read, WANTED)
    assert found == {"a": WANTED, "b": WANTED} and asked == []


def test_a_resource_the_index_lacks_or_shows_otherwise_is_read_from_its_service():
    # "b" was just tagged: the index still shows its old tags, its service the new ones.
    read, asked = own_reads({"b": dict(WANTED), "c": {"Environment": "dev"}})
    found = tag_index.confirmed(Owner(), ["a", "b", "c"], {"a": dict(WANTED), "b": {}}, read, WANTED)
    assert asked == ["b", "c"]
    assert found == {"a": WANTED, "b": WANTED, "c": {"Environment": "dev"}}


def test_extra_tags_count_only_when_they_are_purged():
    extra = dict(WANTED, Owner="someone")
    assert tag_index.in_sync(extra, WANTED, purge=False)
    assert not tag_index.in_sync(extra, WANTED, purge=True)
    assert tag_index.in_sync({"Port": "3306"}, {"Port": 3306}, purge=True)  # values compare as strings
    assert tag_index.in_sync({"x": "y"}, None, purge=True)  # tags not managed
