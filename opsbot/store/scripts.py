"""Lua scripts shared by several stores, each once, as a named constant.

A store registers the scripts it runs once, when it is built
(``redis.register_script``), the way redis-py's ``asyncio/lock.py`` does;
none is written inline or registered per call.

Cluster rule: each script touches the keys of one hash tag only (see
:mod:`opsbot.store.keyspace`).
"""

from __future__ import annotations

from typing import Final

# --- shared ------------------------------------------------------------------------

# The one compare-and-set. KEYS: one key. ARGV: field, expected, then what to
# write. `field` names the hash field compared; '' compares the key's whole
# string value. Nothing changes (0) unless it holds `expected`; then (1):
# on a hash, the field/value pairs that follow are written; on a string, the
# value that follows replaces it, keeping its expiry, or, with none, the key
# is deleted. Users: subscriptions (last_seen), key rotation (records),
# action locks (release by their holder).
COMPARE_AND_SET: Final = """
local field, expected = ARGV[1], ARGV[2]
local current
if field == '' then
    current = redis.call('GET', KEYS[1])
else
    current = redis.call('HGET', KEYS[1], field)
end
if current ~= expected then
    return 0
end
if field ~= '' then
    for i = 3, #ARGV, 2 do
        redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    end
elseif #ARGV == 2 then
    redis.call('DEL', KEYS[1])
else
    redis.call('SET', KEYS[1], ARGV[3], 'KEEPTTL')
end
return 1
"""
