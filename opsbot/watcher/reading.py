"""Reading a batch of watched operations when one of them cannot be read.

The watcher asks for a hundred operations in one ``operation.list``. When
the API describes one of them in a way that cannot be read (an infinite
eta, an id of three thousand digits, params nested without end, a date
out of the calendar), the other ninety-nine must still move on, in the same
cycle. Two cases:

- the answer could be decoded and the bad item is one of its items
  (:mod:`opsbot.api.list_reply`): the operations read are kept; an item
  whose id was read names its operation; one whose id could not be read is
  one of the operations asked for and not returned, found by asking for
  them again in halves;
- the whole answer could not be decoded (a ``ProtocolError``): first one
  ``operation.count`` over the same ids tells a broken API (which fails
  the count too: the team backs off, as for any failure) from a bad item
  (the count answers); then the batch is asked for again in halves, and
  halves of halves, down to the operation that cannot be read.

One bad operation among a hundred costs about fourteen calls, once: the
watcher then reads it alone, apart from its batch
(:class:`~opsbot.watcher.memory.UnreadableOperations`).

A batch due for a full read whose every step this worker knows is first
counted (:func:`steps_hold`): one ``operation.count`` per step, over the
ids believed in that step. Equal counts mean every operation is still there
and in the step last compared, which is all a full read looks for; the
answers are a number each, where an ``operation.list`` of a hundred
operations is a reply of some 240 KB to decode. A count that differs (an
operation moved, or gone) sends the batch to a full read, which finds which.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from opsbot.api.client import OperationClient
from opsbot.api.errors import ApiError, AuthorizationError, ProtocolError, TemporaryError
from opsbot.api.glance import Glance

# The API's page: one operation.list answers for at most this many ids.
BATCH: Final = 100
# A batch spread over more steps than this is read in full rather than
# counted: each step is one more call to a rate-limited API, and two small
# answers already cost it less than one page of whole operations.
MOST_STEPS_COUNTED: Final = 2


@dataclass
class BatchRead:
    """What a batch's reading found, and what it cost."""

    # Each operation read: what a check compares, the rest on demand.
    glances: list[Glance] = field(default_factory=list)
    # Operation id → what is wrong with how the API describes it.
    unreadable: dict[int, str] = field(default_factory=dict)
    calls: int = 0


async def read_batch(
    api: OperationClient, key: str, op_ids: Sequence[int], options: Mapping[str, Any]
) -> BatchRead:
    """The operations among ``op_ids`` matching ``options``, and those that cannot be read.

    Raises the API's error when the API itself fails (rate limit, a refused
    key, or garbage for every call).
    """
    reader = _Reader(api, key, options)
    await reader.read(list(op_ids))
    return reader.found


@dataclass
class _Reader:
    api: OperationClient
    key: str = field(repr=False)
    options: Mapping[str, Any]
    found: BatchRead = field(default_factory=BatchRead)
    # Whether operation.count answers: asked once, at the first garbled answer.
    api_answers: bool | None = None

    async def read(self, op_ids: list[int]) -> None:
        self.found.calls += 1
        query = {**self.options, "id": op_ids, "items_per_page": BATCH}
        try:
            reply = await self.api.glance_items(self.key, query)
        except ProtocolError as error:
            if not await self._api_answers(op_ids):
                raise
            await self._split(op_ids, error.message)
            return
        asked = set(op_ids)
        self.found.glances.extend(glance for glance in reply.glances if glance.id in asked)
        unnamed = None
        for item in reply.unreadable:
            if item.op_id in asked:
                self.found.unreadable[item.op_id] = item.reason
            else:
                unnamed = item.reason
        if unnamed is not None:
            # One of those asked for and not returned, if any: the others are known.
            known = {glance.id for glance in reply.glances} | set(self.found.unreadable)
            await self._split([op_id for op_id in op_ids if op_id not in known], unnamed)

    async def _split(self, suspects: list[int], reason: str) -> None:
        """The operation that cannot be read is among ``suspects``: find it."""
        if len(suspects) == 1:
            self.found.unreadable[suspects[0]] = reason
            return
        half = len(suspects) // 2
        if suspects:
            await self.read(suspects[:half])
            await self.read(suspects[half:])

    async def _api_answers(self, op_ids: list[int]) -> bool:
        if self.api_answers is None:
            self.found.calls += 1
            try:
                await self.api.count(self.key, {"id": op_ids})
            except ApiError:
                self.api_answers = False
            else:
                self.api_answers = True
        return self.api_answers


@dataclass(frozen=True)
class StepCount:
    """Whether the API's counts agree with the steps believed, and what that cost."""

    hold: bool
    calls: int


async def steps_hold(
    api: OperationClient, key: str, believed: Iterable[tuple[int, str]]
) -> StepCount:
    """Whether every operation is, by the API's count, in the step believed.

    ``believed``: (operation id, step) pairs. Counted only when they span at
    most :data:`MOST_STEPS_COUNTED` steps; otherwise, or when a count cannot
    be read, they do not hold (the caller reads them in full, which decides).
    Raises the API's error when the API refuses the key or asks to wait.
    """
    by_step: dict[str, list[int]] = {}
    for op_id, step in believed:
        by_step.setdefault(step, []).append(op_id)
    if not by_step or len(by_step) > MOST_STEPS_COUNTED:
        return StepCount(hold=False, calls=0)
    calls = 0
    for step, op_ids in by_step.items():
        calls += 1
        try:
            found = await api.count(key, {"id": op_ids, "step": step})
        except (AuthorizationError, TemporaryError):
            raise  # the team pauses or backs off, as for a read
        except ApiError:
            # Garbage, or a count refused: the full read decides, and says why.
            return StepCount(hold=False, calls=calls)
        if found != len(op_ids):
            return StepCount(hold=False, calls=calls)
    return StepCount(hold=True, calls=calls)
