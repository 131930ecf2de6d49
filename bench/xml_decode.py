"""What reading operation.list replies costs, per operation, on one core.

The watcher reads the operations it follows in ``operation.list`` replies of
up to 100, and decoding them was most of a worker's CPU (issue 13: about
0.55 s per 10,000 checked operations; goal at most 0.25 s). The replies here
are the simulator's own: ``operation.list`` pages of 100 operations, each with
its ``params`` and ``infos`` structs, dates and nils, encoded by the codec's
encoder as the simulator serves them.

Three readers decode the same replies, in alternation so that machine noise
hits them alike:

- a check's reading, as the watcher's ``glance_items`` reads its answers:
  each operation's id, step, eta and date_updated (``opsbot.api.glance``),
  the rest left unread until an operation changed;
- ``decode_response``, as the client calls it: plain replies go through lxml
  (the plain path);
- the careful path alone (defusedxml's expat parser and the standard
  unmarshaller), which was the only reader before the plain path and is still
  the reference for every document the plain path hands over.

Each round decodes every reply once; figures are CPU time
(``time.process_time``) per operation, median over the rounds.

A check also writes its call: one ``operation.list`` with a hundred ids and
``>date_updated`` per batch, which is most of what a check costs when the
answer holds no change. It is written as ``encode_call`` writes it (plain
values directly) and as the standard marshaller writes it, per call.

Last line: ``xml_decode: us_per_operation=U speedup=S check_us_per_operation=K
check_vs_whole=R call_us=C marshaller_call_us=M`` (U for ``decode_response``;
S = careful / plain; K for a check's reading; R = K / U; C and M per call of
a hundred ids).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from opsbot.api import xmlrpc  # noqa: E402
from opsbot.api.glance import GLANCED, read_glances  # noqa: E402
from opsbot.config import DEFAULT_API_TIMEZONE  # noqa: E402
from opsbot.simulator import Simulator  # noqa: E402

OPERATIONS_PER_REPLY = 100
REPLIES = 20
ROUNDS = 9
GOAL_US = 25.0
CALLS_PER_ROUND = 200
# A changes-only check of one batch, as opsbot.watcher.reading asks it.
CHECK_CALL = (
    "k" * 24,
    {
        ">date_updated": "2026-11-01 10:00:00",
        "id": list(range(100_100, 100_100 + OPERATIONS_PER_REPLY)),
        "items_per_page": OPERATIONS_PER_REPLY,
    },
)


def simulator_replies() -> list[bytes]:
    """``REPLIES`` pages of ``operation.list``, as the simulator serves them."""
    simulator = Simulator(seed=13, operations=OPERATIONS_PER_REPLY * REPLIES)
    key = simulator.keys[0]
    pages = (
        simulator.call("operation.list", (key, {"items_per_page": OPERATIONS_PER_REPLY, "page": n}))
        for n in range(REPLIES)
    )
    return [xmlrpc.encode_response(page, zone=simulator.zone) for page in pages]


# Dates are read on the API's clock, as the client reads them.
API_ZONE = ZoneInfo(DEFAULT_API_TIMEZONE)


def decode_response(body: bytes) -> Any:
    return xmlrpc.decode_response(body, zone=API_ZONE)


def glance(body: bytes) -> Any:
    decoded = xmlrpc.decode_response(
        body, zone=API_ZONE, items=OPERATIONS_PER_REPLY + 1, partial=GLANCED
    )
    return read_glances(decoded, method="operation.list", asked=OPERATIONS_PER_REPLY)


def decode_carefully(body: bytes) -> Any:
    return xmlrpc._decode_carefully(body, zone=API_ZONE)


def cpu_us_per_operation(decode: Callable[[bytes], Any], replies: list[bytes]) -> float:
    started = time.process_time()
    for body in replies:
        decode(body)
    return (time.process_time() - started) * 1e6 / (len(replies) * OPERATIONS_PER_REPLY)


def cpu_us_per_call(write: Callable[[], bytes]) -> float:
    started = time.process_time()
    for _ in range(CALLS_PER_ROUND):
        write()
    return (time.process_time() - started) * 1e6 / CALLS_PER_ROUND


def write_call() -> bytes:
    return xmlrpc.encode_call("operation.list", CHECK_CALL, zone=API_ZONE)


def marshal_call() -> bytes:
    return xmlrpc._marshalled_call("operation.list", CHECK_CALL, API_ZONE)


def check_replies(replies: list[bytes]) -> None:
    """Both readers agree, and the plain path reads every reply itself."""
    for body in replies:
        careful = xmlrpc._decode_carefully(body, zone=API_ZONE)
        markup = xmlrpc._plain_markup_start(body)
        if markup is None or xmlrpc._read_plain_response(body, markup, API_ZONE) != careful:
            raise SystemExit("the plain path did not read a simulator reply as the careful one")
        if len(careful) != OPERATIONS_PER_REPLY:
            raise SystemExit(f"a reply holds {len(careful)} operations")
    if write_call() != marshal_call():
        raise SystemExit("encode_call did not write the check's call as the marshaller does")


def main() -> None:
    replies = simulator_replies()
    check_replies(replies)
    plain: list[float] = []
    careful: list[float] = []
    check: list[float] = []
    calls: list[float] = []
    marshalled: list[float] = []
    for _ in range(ROUNDS):
        check.append(cpu_us_per_operation(glance, replies))
        plain.append(cpu_us_per_operation(decode_response, replies))
        careful.append(cpu_us_per_operation(decode_carefully, replies))
        calls.append(cpu_us_per_call(write_call))
        marshalled.append(cpu_us_per_call(marshal_call))
    plain_us, careful_us = statistics.median(plain), statistics.median(careful)
    check_us = statistics.median(check)
    call_us, marshalled_us = statistics.median(calls), statistics.median(marshalled)
    kib = sum(map(len, replies)) / len(replies) / 1024
    print(f"replies: {len(replies)} x {OPERATIONS_PER_REPLY} operations, {kib:.0f} KiB each")
    print(f"rounds: {ROUNDS}; CPU per operation, median (min-max):")
    readers = (
        ("a check (id, step, eta, date)", check),
        ("decode_response (plain path)", plain),
        ("careful path", careful),
    )
    for name, runs in readers:
        figures = f"{statistics.median(runs):6.1f} us ({min(runs):.1f}-{max(runs):.1f})"
        print(f"  {name:30s} {figures}  = {statistics.median(runs) / 100:.3f} s per 10,000")
    print(f"  a check reads {check_us / plain_us:.2f} of what decoding it whole costs")
    print(f"CPU per call of {OPERATIONS_PER_REPLY} ids (a changes-only check), median (min-max):")
    for name, runs in (("encode_call", calls), ("standard marshaller", marshalled)):
        figures = f"{statistics.median(runs):6.1f} us ({min(runs):.1f}-{max(runs):.1f})"
        print(f"  {name:30s} {figures}")
    verdict = "met" if check_us <= GOAL_US else "not met"
    print(f"goal: a check reads an operation in at most {GOAL_US:.0f} us: {verdict}")
    print(
        f"xml_decode: us_per_operation={plain_us:.1f} speedup={careful_us / plain_us:.2f} "
        f"check_us_per_operation={check_us:.1f} check_vs_whole={check_us / plain_us:.2f} "
        f"call_us={call_us:.1f} marshaller_call_us={marshalled_us:.1f}"
    )


if __name__ == "__main__":
    main()
