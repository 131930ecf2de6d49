"""A simulated operation API, for tests, benchmarks and first-time users.

``opsbot sim`` serves it; from Python::

    simulator = Simulator(seed=1, keys=["0123456789abcdefghijklmn"])
    async with serve_simulator(simulator) as served:
        ...  # point a client at served.url; flip switches on `simulator`

The client never imports this package: it talks to the simulator over HTTP
like it talks to the live service.
"""

from opsbot.simulator.clock import Clock, ManualClock, system_clock
from opsbot.simulator.hostile import HOSTILE_KINDS
from opsbot.simulator.server import ServedSimulator, build_app, serve_simulator
from opsbot.simulator.simulator import (
    DEFAULT_OPERATIONS,
    Simulator,
    demo_key_for,
    is_well_formed_key,
)
from opsbot.simulator.switches import GARBAGE_KINDS, QUEUED_KINDS

__all__ = [
    "DEFAULT_OPERATIONS",
    "GARBAGE_KINDS",
    "HOSTILE_KINDS",
    "QUEUED_KINDS",
    "Clock",
    "ManualClock",
    "ServedSimulator",
    "Simulator",
    "build_app",
    "demo_key_for",
    "is_well_formed_key",
    "serve_simulator",
    "system_clock",
]
