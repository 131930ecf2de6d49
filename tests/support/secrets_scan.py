"""Look through everything Redis holds for secrets stored in clear.

Every key of every type is read back (key name included), so a test can
assert that after a whole scenario no API key, token or signing secret is in
Redis in clear. An unknown type fails loudly rather than being skipped.
"""

from __future__ import annotations

from collections.abc import Iterable

from opsbot.store.connection import RedisClient


async def find_secrets_in_redis(redis: RedisClient, secrets: Iterable[str]) -> list[str]:
    """The keys whose name or value contains any of ``secrets``, sorted."""
    wanted = list(secrets)
    if not all(wanted):
        raise ValueError("an empty secret would match everything")
    found = []
    async for raw_key in redis.scan_iter(count=500):
        key = _text(raw_key)
        texts = [key, *await _values(redis, key)]
        if any(secret in text for text in texts for secret in wanted):
            found.append(key)
    return sorted(found)


async def _values(redis: RedisClient, key: str) -> list[str]:
    kind = _text(await redis.type(key))
    if kind == "none":  # deleted since SCAN saw it
        return []
    if kind == "string":
        return [_text(await redis.get(key))]
    if kind == "hash":
        pairs = (await redis.hgetall(key)).items()
        return [_text(part) for pair in pairs for part in pair]
    if kind == "list":
        return [_text(item) for item in await redis.lrange(key, 0, -1)]
    if kind == "set":
        return [_text(item) for item in await redis.smembers(key)]
    if kind == "zset":
        return [_text(member) for member in await redis.zrange(key, 0, -1)]
    if kind == "stream":
        texts = []
        for entry_id, fields in await redis.xrange(key) or []:
            texts.append(_text(entry_id))
            texts.extend(_text(part) for pair in (fields or {}).items() for part in pair)
        return texts
    raise AssertionError(f"the secrets scan cannot read Redis type {kind!r} of key {key}")


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return "" if value is None else str(value)
