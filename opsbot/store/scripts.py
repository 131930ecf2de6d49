"""Every Lua script opsbot runs in Redis, each once, as a named constant.

A store registers the scripts it runs once, when it is built
(``redis.register_script``), the way redis-py's ``asyncio/lock.py`` does;
none is written inline or registered per call.

Cluster rule: each script touches the keys of one hash tag only (see
:mod:`opsbot.store.keyspace`): a team's keys, or the schedule's.

Outbox entries: a script that queues posts appends one stream entry per card
with the fields ``op``, ``channel``, ``kind``, ``old``, ``new``, ``at`` (ISO)
and ``text``; :mod:`opsbot.store.outbox` reads them back, and the kinds
written here are its :class:`~opsbot.store.outbox.PostKind` values.
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

# --- watches (opsbot.store.watches) -----------------------------------------------

# KEYS: watch, cards, watches, expiries, outbox.
# ARGV: op, channel, user, type, label, step, eta ('' = none), now (iso),
# expires_at (epoch), due (epoch), the JSON of a new card, the most watches
# the team may have.
# The watch's expiry is its score in `expiries`, not a field of its own, and
# no `created_at` is kept (nothing read it); records written before keep
# both fields, `created_at` still read, `expires_at` no longer. A card
# is {"t": ts, "w": [watchers]}; cards written before spell these "ts" and
# "watchers", and are read and extended as they are.
# Returns 'created', 'new_channel', 'joined', or 'limit' when the watch would
# be new and the team has that many already (every watch until it is
# finished counts, as `expiries` holds it): checked in the script, so two
# concurrent watches cannot both take the last place. On an existing watch the
# stored step stays (changing it here would skip the other cards' post) and
# the expiry only grows. A corrupt card is replaced by a new one. A new card
# on a watch whose final step is already recorded gets that final post at
# once, as its siblings did.
ADD_WATCH: Final = """
local op, channel, user = ARGV[1], ARGV[2], ARGV[3]
local expires_at, due, new_card = ARGV[9], ARGV[10], ARGV[11]

-- A card's watchers, or nil unless it is what Python reads as a card: a
-- string ts and a non-empty list of strings.
local function watchers_of(card)
    if type(card) ~= 'table' then
        return nil
    end
    local ts, watchers = card.t or card.ts, card.w or card.watchers
    if type(ts) ~= 'string' or type(watchers) ~= 'table' then
        return nil
    end
    local count = 0
    for index, watcher in pairs(watchers) do
        if type(index) ~= 'number' or type(watcher) ~= 'string' then
            return nil
        end
        count = count + 1
    end
    if count > 0 and count == #watchers then
        return watchers
    end
    return nil
end

-- The card with `user` among its watchers, or nil when it does not parse.
local function joined(raw)
    local ok, card = pcall(cjson.decode, raw)
    local watchers = ok and watchers_of(card)
    if not watchers then
        return nil
    end
    for _, watcher in ipairs(watchers) do
        if watcher == user then
            return raw
        end
    end
    table.insert(watchers, user)
    local encoded, document = pcall(cjson.encode, card)
    if encoded then
        return document
    end
    return nil
end

if redis.call('EXISTS', KEYS[1]) == 0 then
    if redis.call('ZCARD', KEYS[4]) >= tonumber(ARGV[12]) then
        return 'limit'
    end
    redis.call('HSET', KEYS[1], 'type', ARGV[4], 'label', ARGV[5], 'step', ARGV[6])
    if ARGV[7] ~= '' then
        redis.call('HSET', KEYS[1], 'eta', ARGV[7])
    end
    redis.call('DEL', KEYS[2])
    redis.call('HSET', KEYS[2], channel, new_card)
    redis.call('ZADD', KEYS[3], due, op)
    redis.call('ZADD', KEYS[4], expires_at, op)
    return 'created'
end

redis.call('ZADD', KEYS[4], 'GT', expires_at, op)

local raw = redis.call('HGET', KEYS[2], channel)
local card = raw and joined(raw)
if card then
    redis.call('HSET', KEYS[2], channel, card)
    return 'joined'
end
redis.call('HSET', KEYS[2], channel, new_card)
if redis.call('HEXISTS', KEYS[1], 'final') == 1 then
    local step = redis.call('HGET', KEYS[1], 'step')
    redis.call('XADD', KEYS[5], '*', 'op', op, 'channel', channel, 'kind', 'final',
        'old', step, 'new', step, 'at', redis.call('HGET', KEYS[1], 'step_at') or ARGV[8],
        'text', '')
else
    redis.call('ZADD', KEYS[3], 'LT', due, op)
end
return 'new_channel'
"""

# KEYS: cards. ARGV: channel, field, value (a string), and optionally the
# field's name before the compact spelling: a card written then keeps it. 1
# when set, 0 without such a card, -1 when the card does not parse (left as
# it is).
SET_CARD_FIELD: Final = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then
    return 0
end
local ok, card = pcall(cjson.decode, raw)
if not ok or type(card) ~= 'table' then
    return -1
end
local field = ARGV[2]
if ARGV[4] and card[ARGV[4]] ~= nil then
    field = ARGV[4]
end
card[field] = ARGV[3]
local encoded, document = pcall(cjson.encode, card)
if not encoded then
    return -1
end
redis.call('HSET', KEYS[1], ARGV[1], document)
return 1
"""

# KEYS: watch, cards, watches, outbox, expiries.
# ARGV: op, old, new, at (iso), final ('1' or ''), eta ('' = none), next due.
# The step's compare-and-set: unless the stored step is `old` (and no final
# step is recorded yet) nothing changes and -1 is returned. Otherwise the step
# is recorded, one post per card is appended to the outbox, the watch is due
# at `next due` (or no longer polled after a final step), and it returns
# {posts, the watch's fields as they were, its cards, its expiry}: what the
# poster needs of the watch, read here rather than again (a step change is
# the watcher's most frequent write, and every command in it counts).
RECORD_STEP: Final = """
local op, old, new, at = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local stored = redis.call('HGETALL', KEYS[1])
local step, final = false, false
for i = 1, #stored, 2 do
    if stored[i] == 'step' then
        step = stored[i + 1]
    elseif stored[i] == 'final' then
        final = true
    end
end
if step ~= old or final then
    return -1
end
local fields = {'step', new, 'step_at', at}
if ARGV[6] ~= '' then
    table.insert(fields, 'eta')
    table.insert(fields, ARGV[6])
end
local kind = 'step'
if ARGV[5] == '1' then
    kind = 'final'
    table.insert(fields, 'final')
    table.insert(fields, '1')
end
redis.call('HSET', KEYS[1], unpack(fields))
if ARGV[6] == '' then
    redis.call('HDEL', KEYS[1], 'eta')
end
if kind == 'final' then
    redis.call('ZREM', KEYS[3], op)
else
    redis.call('ZADD', KEYS[3], ARGV[7], op)
end
local cards = redis.call('HGETALL', KEYS[2])
local channels = {}
for i = 1, #cards, 2 do
    table.insert(channels, cards[i])
end
table.sort(channels)
for _, channel in ipairs(channels) do
    redis.call('XADD', KEYS[4], '*', 'op', op, 'channel', channel, 'kind', kind,
        'old', old, 'new', new, 'at', at, 'text', '')
end
return {#channels, stored, cards, redis.call('ZSCORE', KEYS[5], op)}
"""

# KEYS: watch, cards, outbox. ARGV: op, text, at (iso). The operation cannot
# be read from the API's answers: flag its watch `unreadable` (the time) and
# queue `text` as a note for every card, once: -1 when the watch is gone or
# flagged already, else the number of notes.
MARK_UNREADABLE: Final = """
if redis.call('EXISTS', KEYS[1]) == 0 then
    return -1
end
if redis.call('HSETNX', KEYS[1], 'unreadable', ARGV[3]) == 0 then
    return -1
end
local step = redis.call('HGET', KEYS[1], 'step') or ''
local channels = redis.call('HKEYS', KEYS[2])
table.sort(channels)
for _, channel in ipairs(channels) do
    redis.call('XADD', KEYS[3], '*', 'op', ARGV[1], 'channel', channel, 'kind', 'note',
        'old', step, 'new', step, 'at', ARGV[3], 'text', ARGV[2])
end
return #channels
"""

# KEYS: watch, cards, watches, expiries. ARGV: op, channel. 1 when the card
# was there; its watch goes with its last card.
REMOVE_CARD: Final = """
if redis.call('HDEL', KEYS[2], ARGV[2]) == 0 then
    return 0
end
if redis.call('HLEN', KEYS[2]) == 0 then
    redis.call('DEL', KEYS[1])
    redis.call('ZREM', KEYS[3], ARGV[1])
    redis.call('ZREM', KEYS[4], ARGV[1])
end
return 1
"""

# KEYS: watch, cards, watches, expiries. ARGV: op.
FINISH_WATCH: Final = """
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
return 1
"""

# --- the outbox (opsbot.store.outbox) ---------------------------------------------

# KEYS: watch, cards, outbox. ARGV: op, kind, text, at (iso). One post of
# `kind` per card of a stored watch, at its current step; returns how many.
QUEUE_POSTS: Final = """
local step = redis.call('HGET', KEYS[1], 'step')
if not step then
    return 0
end
local channels = redis.call('HKEYS', KEYS[2])
table.sort(channels)
for _, channel in ipairs(channels) do
    redis.call('XADD', KEYS[3], '*', 'op', ARGV[1], 'channel', channel, 'kind', ARGV[2],
        'old', step, 'new', step, 'at', ARGV[4], 'text', ARGV[3])
end
return #channels
"""

# --- pacing (opsbot.store.pacing) ---------------------------------------------------

# KEYS: a bucket (hash: tokens, updated, paused_until, kept_until). ARGV:
# now, per second, burst, how many tokens are wanted ('0' only looks), ttl.
# Returns {taken, ready}: the tokens taken (as many of those wanted as the
# bucket holds), and '0' when a token is left, else the time (epoch s, as a
# string: Lua numbers come back truncated) when the next one will be. A
# paused bucket gives nothing and answers its pause's end. Refill is counted
# from the latest time any caller gave, so a worker whose clock lags cannot
# mint tokens by going back in time. The key's expiry is pushed back only
# when less than half of it is left (`kept_until`), not at every take: a
# bucket is taken from at every post, and an EXPIRE each time would be a
# third of its cost.
RATE_BUCKET: Final = """
local now, rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local wanted, ttl = tonumber(ARGV[4]), tonumber(ARGV[5])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated', 'paused_until', 'kept_until')
local paused = tonumber(state[3]) or 0
if paused > now then
    return {0, tostring(paused)}
end
local tokens = tonumber(state[1]) or burst
local updated = tonumber(state[2]) or now
if now > updated then
    tokens = math.min(burst, tokens + (now - updated) * rate)
    updated = now
end
local taken = 0
if tokens >= 1 then
    taken = math.min(wanted, math.floor(tokens))
end
if taken > 0 then
    tokens = tokens - taken
    local fields = {'tokens', tostring(tokens), 'updated', tostring(updated)}
    local renew = (tonumber(state[4]) or 0) - now < ttl / 2
    if renew then
        table.insert(fields, 'kept_until')
        table.insert(fields, tostring(now + ttl))
    end
    redis.call('HSET', KEYS[1], unpack(fields))
    if renew then
        redis.call('EXPIRE', KEYS[1], ttl)
    end
end
if tokens >= 1 then
    return {taken, '0'}
end
return {taken, tostring(updated + (1 - tokens) / rate)}
"""

# KEYS: a bucket. ARGV: until (epoch s). Slack answered 429: the bucket gives
# nothing before `until` (a later pause wins), then one token (Slack's
# Retry-After is when one call may go), refilling at its pace from there.
PAUSE_BUCKET: Final = """
local paused = tonumber(redis.call('HGET', KEYS[1], 'paused_until')) or 0
if tonumber(ARGV[1]) > paused then
    redis.call('HSET', KEYS[1], 'paused_until', ARGV[1], 'tokens', '1', 'updated', ARGV[1])
    redis.call('EXPIRE', KEYS[1], 86400)
end
return 1
"""

# --- card edits (opsbot.store.card_edits) ----------------------------------------

# KEYS: card_edits, card_edits_queue. ARGV: field (op:channel), JSON, at.
# The newest edit of a card replaces the one waiting; it keeps the waiting
# one's place in line. Returns 1 when the card had no edit waiting, else 0.
QUEUE_CARD_EDIT: Final = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return redis.call('ZADD', KEYS[2], 'NX', ARGV[3], ARGV[1])
"""

# KEYS: card_edits, card_edits_queue. ARGV: field, the JSON edited. The edit
# is done unless a newer one replaced it meanwhile (1), which then waits (0).
DONE_CARD_EDIT: Final = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current and current ~= ARGV[2] then
    return 0
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
"""

# --- subscriptions (opsbot.store.subscriptions) -----------------------------------

# KEYS: subscriptions, counter. ARGV: JSON, the most subscriptions the team
# may have. Returns the new number, or 0 when the team has that many already
# (checked in the script: two concurrent subscribes cannot both take the last
# place).
ADD_SUBSCRIPTION: Final = """
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[2]) then
    return 0
end
local number = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], number, ARGV[1])
return number
"""

# --- the watcher's schedule (opsbot.store.schedule) -------------------------------

# KEYS: teams, leases, wakes. ARGV: now, lease_s, then one fresh token per
# team wanted. Returns [earliest, team, token, team, token, …]: the earliest
# score left once the claimed teams are leased ('' when the schedule is
# empty: the worker's next look needs no round trip of its own), then the
# teams claimed, earliest due first. A claimed team's pending wake-up is
# dropped: the cycle about to run sees everything added before the claim.
CLAIM_TEAMS: Final = """
local function earliest()
    local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return first[2] or ''
end
local now = tonumber(ARGV[1])
local lease_end = now + tonumber(ARGV[2])
local wanted = #ARGV - 2
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, wanted)
if #due == 0 then
    return {earliest()}
end
-- One command of each kind for all the teams claimed, not three per team.
local scores, tokens, claimed = {}, {}, {''}
for i, team in ipairs(due) do
    local token = ARGV[2 + i]
    table.insert(scores, lease_end)
    table.insert(scores, team)
    table.insert(tokens, team)
    table.insert(tokens, token)
    claimed[#claimed + 1] = team
    claimed[#claimed + 1] = token
end
redis.call('ZADD', KEYS[1], unpack(scores))
redis.call('HSET', KEYS[2], unpack(tokens))
redis.call('HDEL', KEYS[3], unpack(due))
claimed[1] = earliest()
return claimed
"""

# KEYS: teams, leases. ARGV: team, token, new lease end. 1 if still held.
EXTEND_LEASE: Final = """
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then
    return 0
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1
"""

# KEYS: teams, leases, wakes. ARGV: team, token, next due ('' = nothing to
# watch). 1 if it was still held; else nothing changes (the lease was taken
# over and the new holder decides).
RELEASE_TEAM: Final = """
local team = ARGV[1]
if redis.call('HGET', KEYS[2], team) ~= ARGV[2] then
    return 0
end
redis.call('HDEL', KEYS[2], team)
local due = tonumber(ARGV[3])
local raw_woken = redis.call('HGET', KEYS[3], team)
if raw_woken then  -- most releases find none: no HDEL for nothing (a pass a team)
    redis.call('HDEL', KEYS[3], team)
end
local woken = tonumber(raw_woken)
if woken and (not due or woken < due) then
    due = woken
end
if due then
    redis.call('ZADD', KEYS[1], due, team)
else
    redis.call('ZREM', KEYS[1], team)
end
return 1
"""

# KEYS: teams, leases, wakes. ARGV: team, at. A leased team keeps its score
# (the lease's end); its earliest wake-up waits for the release.
WAKE_TEAM: Final = """
local team, at = ARGV[1], tonumber(ARGV[2])
if redis.call('HEXISTS', KEYS[2], team) == 1 then
    local woken = tonumber(redis.call('HGET', KEYS[3], team))
    if not woken or at < woken then
        redis.call('HSET', KEYS[3], team, ARGV[2])
    end
    return 0
end
redis.call('ZADD', KEYS[1], 'LT', at, team)
return 1
"""

# KEYS: teams, leases, wakes. ARGV: team.
FORGET_TEAM: Final = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return 1
"""

# --- approvals (opsbot.store.approvals) ---------------------------------------------

# KEYS: one approval request, its action's pending marker for the operation.
# ARGV: the state wanted (approved, denied, expired), who decides ('' for the
# sweep), now (epoch), the request's id (the marker is dropped if it is its).
# Returns {changed, state}: {1, wanted} when this call moved the request from
# pending; {0, its state} otherwise: already decided, 'pending' (the sweep came
# early), 'requester' (the requester may not decide), 'missing'. A decision
# after the expiry expires the request instead: {1, 'expired'}. One script,
# so two approvers clicking at once cannot both be told they won.
DECIDE_APPROVAL: Final = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then
    return {0, 'missing'}
end
if state ~= 'pending' then
    return {0, state}
end
local wanted, by, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local expires_at = tonumber(redis.call('HGET', KEYS[1], 'expires_at')) or 0
if wanted == 'expired' then
    if now < expires_at then
        return {0, 'pending'}
    end
elseif now >= expires_at then
    wanted, by = 'expired', ''
elseif by == redis.call('HGET', KEYS[1], 'requester') then
    return {0, 'requester'}
end
redis.call('HSET', KEYS[1], 'state', wanted, 'decided_by', by, 'decided_at', ARGV[3])
if redis.call('GET', KEYS[2]) == ARGV[4] then
    redis.call('DEL', KEYS[2])
end
return {1, wanted}
"""

# KEYS: the action's pending marker for the operation, the new request.
# ARGV: the request's id, when the marker ends (epoch s), when the request's
# hash ends, then the hash's field/value pairs. Returns 0 (nothing written)
# when a request for that action and operation is already pending, else 1.
CREATE_APPROVAL: Final = """
if redis.call('EXISTS', KEYS[1]) == 1 then
    return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'EXAT', ARGV[2])
for i = 4, #ARGV, 2 do
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
end
redis.call('EXPIREAT', KEYS[2], ARGV[3])
return 1
"""

# The Home tab of KEYS[1]'s person ARGV[1] was published from what was known
# when it was marked at ARGV[2]: drop the mark unless a newer change re-marked it.
HOME_REFRESHED: Final = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) <= tonumber(ARGV[2]) then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0
"""
