"""What reading operation.list replies costs, per operation, on one core.

The watcher reads the operations it follows in ``operation.list`` replies of
up to 100, and decoding them was most of a worker's CPU (issue 13: about
0.55 s per 10,000 checked operations; goal at most 0.25 s). The replies here
are the simulator's own: ``operation.list`` pages of 100 operations, each with
its ``params`` and ``infos`` structs, dates and nils, encoded by the codec's
encoder as the simulator serves them.

Two readers decode the same replies, in alternation so that machine noise
hits both alike:

- ``decode_response``, as the client calls it: plain replies go through lxml
  (the plain path);
- the careful path alone (defusedxml's expat parser and the standard
  unmarshaller), which was the only reader before the plain path and is still
  the reference for every document the plain path hands over.

Each round decodes every reply once; figures are CPU time
(``time.process_time``) per operation, median over the rounds.

Last line: ``xml_decode: us_per_operation=U speedup=S`` (U for
``decode_response``; S = careful / plain; goal U <= 25, that is 0.25 s per
10,000 operations).
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
from opsbot.config import DEFAULT_API_TIMEZONE  # noqa: E402
from opsbot.simulator import Simulator  # noqa: E402

OPERATIONS_PER_REPLY = 100
REPLIES = 20
ROUNDS = 9
GOAL_US = 25.0


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


def decode_carefully(body: bytes) -> Any:
    return xmlrpc._decode_carefully(body, zone=API_ZONE)


def cpu_us_per_operation(decode: Callable[[bytes], Any], replies: list[bytes]) -> float:
    started = time.process_time()
    for body in replies:
        decode(body)
    return (time.process_time() - started) * 1e6 / (len(replies) * OPERATIONS_PER_REPLY)


def check_replies(replies: list[bytes]) -> None:
    """Both readers agree, and the plain path reads every reply itself."""
    for body in replies:
        careful = xmlrpc._decode_carefully(body, zone=API_ZONE)
        markup = xmlrpc._plain_markup_start(body)
        if markup is None or xmlrpc._read_plain_response(body, markup, API_ZONE) != careful:
            raise SystemExit("the plain path did not read a simulator reply as the careful one")
        if len(careful) != OPERATIONS_PER_REPLY:
            raise SystemExit(f"a reply holds {len(careful)} operations")


def main() -> None:
    replies = simulator_replies()
    check_replies(replies)
    plain: list[float] = []
    careful: list[float] = []
    for _ in range(ROUNDS):
        plain.append(cpu_us_per_operation(decode_response, replies))
        careful.append(cpu_us_per_operation(decode_carefully, replies))
    plain_us, careful_us = statistics.median(plain), statistics.median(careful)
    kib = sum(map(len, replies)) / len(replies) / 1024
    print(f"replies: {len(replies)} x {OPERATIONS_PER_REPLY} operations, {kib:.0f} KiB each")
    print(f"rounds: {ROUNDS}; CPU per operation, median (min-max):")
    for name, runs in (("decode_response (plain path)", plain), ("careful path", careful)):
        figures = f"{statistics.median(runs):6.1f} us ({min(runs):.1f}-{max(runs):.1f})"
        print(f"  {name:30s} {figures}  = {statistics.median(runs) / 100:.3f} s per 10,000")
    verdict = "met" if plain_us <= GOAL_US else "not met"
    print(f"goal: at most {GOAL_US:.0f} us per operation: {verdict}")
    print(f"xml_decode: us_per_operation={plain_us:.1f} speedup={careful_us / plain_us:.2f}")


if __name__ == "__main__":
    main()
