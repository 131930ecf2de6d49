"""The cluster client's slots: remembered per hash tag, and always the ones Redis computes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from redis.asyncio.cluster import ClusterNode, RedisCluster

from opsbot.store.connection import DEFAULT_OPTIONS, WaitingRedisCluster

# Keys as opsbot writes them, and anything else a key can be: braces anywhere.
KEY_PARTS = st.sampled_from(["{", "}", "opsbot:", "T0123", ":", "é", "", "x"])
KEYS = st.lists(st.one_of(KEY_PARTS, st.text(max_size=4)), max_size=8).map("".join)


def cluster_client() -> WaitingRedisCluster:
    # Nothing is connected until the first command: the seed need not answer.
    return WaitingRedisCluster(DEFAULT_OPTIONS, startup_nodes=[ClusterNode("127.0.0.1", 1)])


CLIENT = cluster_client()


@given(KEYS)
def test_a_keys_slot_is_the_one_redis_computes(key: str) -> None:
    expected = RedisCluster.keyslot(CLIENT, key)  # redis-py's, encoding and hashing the key
    assert CLIENT.keyslot(key) == expected
    assert CLIENT.keyslot(key) == expected  # remembered: the same again


def test_the_keys_of_one_team_share_the_slot_of_its_tag() -> None:
    client = cluster_client()
    keys = ["opsbot:{T0123}:apikey", "opsbot:{T0123}:watches", "opsbot:{T0123}:outbox"]
    assert {client.keyslot(key) for key in keys} == {RedisCluster.keyslot(client, "T0123")}


def test_bytes_and_untagged_keys_are_hashed_whole() -> None:
    client = cluster_client()
    for key in (b"opsbot:{T0123}:apikey", "opsbot:schedule", "opsbot:{}:empty-tag"):
        assert client.keyslot(key) == RedisCluster.keyslot(client, key)
