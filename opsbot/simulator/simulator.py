"""The simulated operation API: accounts behind keys, switches, call counters.

:meth:`Simulator.call` answers one XML-RPC call (method name and params) with
a value or a :class:`~opsbot.api.xmlrpc.Fault`; the HTTP side lives in
``server.py``. Everything else here is the Python face of the test switches.

Keys are secrets even here: they are checked and used, never logged and
never quoted back in a fault.
"""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import random
from collections.abc import Sequence
from typing import Any, Final, Unpack
from zoneinfo import ZoneInfo

from opsbot.api.xmlrpc import Fault
from opsbot.api_key import API_KEY_ALPHABET, API_KEY_LENGTH, API_KEY_SHAPE, looks_like_api_key
from opsbot.config import DEFAULT_API_TIMEZONE
from opsbot.simulator import dataset, faults
from opsbot.simulator.account import Account
from opsbot.simulator.clock import Clock, system_clock
from opsbot.simulator.hostile import DEFAULT_DEPTH, Hostile
from opsbot.simulator.methods import METHODS, CallContext, accept_cancel, flood_operations
from opsbot.simulator.record import OperationFacts, OperationSpec
from opsbot.simulator.switches import Switches

DEFAULT_OPERATIONS: Final = 400


def is_well_formed_key(key: object) -> bool:
    return isinstance(key, str) and looks_like_api_key(key)


def demo_key_for(seed: int) -> str:
    """The key a simulator started without keys accepts: the same for a seed."""
    rng = random.Random(f"opsbot-sim-demo-key:{seed}")
    return "".join(rng.choices(API_KEY_ALPHABET, k=API_KEY_LENGTH))


class Simulator:
    def __init__(
        self,
        *,
        seed: int = 0,
        operations: int = DEFAULT_OPERATIONS,
        keys: Sequence[str] = (),
        speed: float = 1.0,
        clock: Clock | None = None,
        zone: ZoneInfo | None = None,
    ) -> None:
        """``zone``: the clock its dates are written and its date filters read on,
        as the live service's are (default Europe/Paris); it keeps UTC inside."""
        if speed <= 0:
            raise ValueError("speed must be positive")
        for key in keys:
            _require_well_formed(key)
        self.seed = seed
        self.speed = speed
        self.switches = Switches()
        self.zone = zone or ZoneInfo(DEFAULT_API_TIMEZONE)
        self.calls: collections.Counter[str] = collections.Counter()
        self.demo_key: str | None = None if keys else demo_key_for(seed)
        self._clock = clock or system_clock
        self._ids = itertools.count(dataset.FIRST_ID)
        self._accounts: list[Account] = []
        self._account_by_key: dict[str, Account] = {}
        default = self._new_account(seed, operations)
        for key in keys or [self.demo_key or ""]:
            self._account_by_key[key] = default

    def __repr__(self) -> str:
        return f"Simulator(seed={self.seed}, keys={len(self.keys)}, speed={self.speed})"

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self._account_by_key)

    def add_account(
        self, key: str, *, operations: int = DEFAULT_OPERATIONS, seed: int | None = None
    ) -> None:
        """Let ``key`` open an account of its own (benchmarks play many teams)."""
        _require_well_formed(key)
        if key in self._account_by_key:
            raise ValueError("this key already opens an account")
        if seed is None:
            seed = self.seed + len(self._accounts)
        self._account_by_key[key] = self._new_account(seed, operations)

    def now(self) -> dt.datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the simulator's clock must return aware datetimes")
        return now.astimezone(dt.UTC)

    # Switches ---------------------------------------------------------------

    @property
    def latency(self) -> float:
        return self.switches.latency

    def set_latency(self, seconds: float) -> None:
        self.switches.set_latency(seconds)

    def rate_limit_every(self, n: int | None) -> None:
        self.switches.set_rate_limit(n)

    def garbage_next(self, count: int = 1, kind: str = "html") -> None:
        self.switches.queue_garbage(count, kind)

    def serve_hostile(self, op_id: int, kind: str | None, *, depth: int = DEFAULT_DEPTH) -> None:
        """Describe ``op_id`` in every reply with a hostile value of ``kind`` (None: stop).

        KeyError when there is no such operation; ValueError for an unknown kind.
        """
        self._account_holding(op_id)
        self.switches.spoil(op_id, None if kind is None else Hostile(kind, depth))

    def decline_next(self, method: str, count: int = 1) -> None:
        self.switches.decline_next(method, count)

    def slow_next_cancels(self, count: int = 1) -> None:
        """The next ``count`` cancels are accepted (true) but leave the operation in
        its step, as a cancel the service is still carrying out: it reaches CANCEL
        when moved there (:meth:`move`)."""
        self.switches.slow_next_cancels(count)

    def flood(self, rows: int | None) -> None:
        """operation.list ignores items_per_page and answers ``rows`` rows (None or 0: off)."""
        self.switches.set_flood(rows)

    def reset_switches(self) -> None:
        self.switches.reset()

    def move(self, op_id: int, step: str, *, backdated_s: float = 0.0) -> None:
        """Put operation ``op_id`` in ``step`` now; KeyError if there is none.

        ``backdated_s``: the change's ``date_updated`` that many seconds in the
        past, as an API that dates a change before it shows it would.
        """
        now = self.now()
        account = self._account_holding(op_id)
        account.advance(now)
        account.move(op_id, step, now - dt.timedelta(seconds=backdated_s))

    def create(
        self,
        type: str = "domain_create",  # the API's own field name
        *,
        key: str | None = None,
        **facts: Unpack[OperationFacts],
    ) -> int:
        """Create an operation now, in ``key``'s account (the first one by default).

        ``facts`` are the other fields of :class:`OperationSpec`:
        ``simulator.create("domain_create", step=ERROR, last_error="…")``.
        """
        account = self._account_by_key[key] if key is not None else self._accounts[0]
        return account.create(OperationSpec(type, **facts), self.now()).id

    def operation(self, op_id: int) -> dict[str, Any]:
        """The struct operation.info would return; KeyError if there is none."""
        now = self.now()
        account = self._account_holding(op_id)
        account.advance(now)
        return account.get(op_id).to_struct(now)

    def operations(self, key: str | None = None) -> list[dict[str, Any]]:
        """Every operation of ``key``'s account (the first one by default), by id."""
        now = self.now()
        account = self._account_by_key[key] if key is not None else self._accounts[0]
        account.advance(now)
        return [operation.to_struct(now) for operation in account.operations()]

    # The API ----------------------------------------------------------------

    def call(self, method: str, params: tuple[Any, ...]) -> Any:
        """Answer one call, or raise the fault the live service would send."""
        try:
            return self._dispatch(method, params)
        except Fault as fault:
            quoted = (params[0],) if params and isinstance(params[0], str) else ()
            raise faults.without_secrets(fault, quoted + self.keys) from None

    def _dispatch(self, method: str, params: tuple[Any, ...]) -> Any:
        self.calls[method] += 1
        if self.switches.rate_limited():
            raise faults.rate_limited()
        spec = METHODS.get(method)
        if spec is None:
            raise faults.unknown_method(method)
        if not params or not spec.accepts(len(params) - 1):
            raise faults.wrong_arity(method, spec.arity, len(params))
        account = self._account_for(params[0])
        if self.switches.declines(method):
            return False
        call = CallContext(self.now(), self.zone)
        account.advance(call.now)
        if method == "operation.cancel" and self.switches.cancels_slowly():
            return accept_cancel(account, call, *params[1:])
        if method == "operation.list" and self.switches.flood_rows:
            return flood_operations(account, call, *params[1:], rows=self.switches.flood_rows)
        return spec.handler(account, call, *params[1:])

    def _account_for(self, key: object) -> Account:
        if not is_well_formed_key(key):
            raise faults.malformed_key(key)
        account = self._account_by_key.get(str(key))
        if account is None:
            raise faults.invalid_key()
        return account

    def _account_holding(self, op_id: int) -> Account:
        for account in self._accounts:
            if account.find(op_id) is not None:
                return account
        raise KeyError(op_id)

    def _new_account(self, seed: int, operations: int) -> Account:
        if operations < 0:
            raise ValueError("the number of operations cannot be negative")
        resources, history = dataset.generate(
            seed=seed, count=operations, now=self.now(), speed=self.speed, ids=self._ids
        )
        account = Account(
            seed=seed, speed=self.speed, resources=resources, operations=history, ids=self._ids
        )
        self._accounts.append(account)
        return account


def _require_well_formed(key: str) -> None:
    # The message must not quote the key: it may be a real one mistyped.
    if not is_well_formed_key(key):
        raise ValueError(f"an API key is {API_KEY_SHAPE}")
