"""Write a value only if it is still the one we read: the shared compare-and-set.

Several writers may change one record at once (two workers advancing a
subscription, ``opsbot rotate-keys`` next to a serving process, a lock
released after it expired and was taken by another). Each reads, decides,
then writes through here: the write happens only if the record still holds
what was read, otherwise the caller reads again or gives up. One Lua script
(:data:`opsbot.store.scripts.COMPARE_AND_SET`) does it for every caller.
"""

from __future__ import annotations

from collections.abc import Mapping

from opsbot.store import scripts
from opsbot.store.connection import RedisClient

# The script's `field` for "compare the whole string value".
_WHOLE_STRING = ""


class CompareAndSet:
    """The compare-and-set script, registered once on one client."""

    def __init__(self, redis: RedisClient) -> None:
        self._script = redis.register_script(scripts.COMPARE_AND_SET)

    async def hash_fields(
        self, key: str, *, field: str, expected: str, new: Mapping[str, str]
    ) -> bool:
        """Write the ``new`` fields of hash ``key`` if its ``field`` is ``expected``."""
        if not field:
            raise ValueError("a hash compare-and-set needs the name of the field compared")
        pairs = [item for pair in new.items() for item in pair]
        return bool(await self._script(keys=[key], args=[field, expected, *pairs]))

    async def string(self, key: str, *, expected: str, new: str) -> bool:
        """Replace string ``key`` (keeping its expiry) if it is ``expected``."""
        return bool(await self._script(keys=[key], args=[_WHOLE_STRING, expected, new]))

    async def delete(self, key: str, *, expected: str) -> bool:
        """Delete string ``key`` if it is ``expected``."""
        return bool(await self._script(keys=[key], args=[_WHOLE_STRING, expected]))
