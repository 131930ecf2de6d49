"""``opsbot sim``: serve a simulated operation API until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import Final
from zoneinfo import ZoneInfo

from opsbot import event_loop
from opsbot.api_key import API_KEY_SHAPE
from opsbot.config import DEFAULT_API_TIMEZONE, SettingsError, time_zone
from opsbot.simulator.server import serve_simulator
from opsbot.simulator.simulator import DEFAULT_OPERATIONS, Simulator, is_well_formed_key

DEFAULT_PORT: Final = 8765


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port (default %(default)s; 0: any free one)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the simulated operations (default %(default)s)"
    )
    parser.add_argument(
        "--operations",
        type=_count,
        default=DEFAULT_OPERATIONS,
        help="how many operations the account starts with",
    )
    parser.add_argument(
        "--key",
        dest="keys",
        action="append",
        type=_key,
        default=[],
        metavar="KEY",
        help="an API key to accept (repeatable); none given: a demo key is printed",
    )
    parser.add_argument(
        "--speed", type=_speed, default=1.0, help="how much faster than real time steps move"
    )
    parser.add_argument(
        "--timezone",
        type=_zone,
        default=DEFAULT_API_TIMEZONE,
        help="the clock its dates are written and read on, as the live API's "
        "(default %(default)s; opsbot's OPSBOT_API_TIMEZONE must match)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every call")


def run_from_args(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    simulator = Simulator(
        seed=args.seed,
        operations=args.operations,
        keys=args.keys,
        speed=args.speed,
        zone=args.timezone,
    )
    event_loop.run(_serve(simulator, args.host, args.port))
    return 0


async def _serve(simulator: Simulator, host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with serve_simulator(simulator, host, port) as served:
        print(f"opsbot sim: serving {served.url} (control: {served.control_url})")
        print(
            f"opsbot sim: seed {simulator.seed}, {len(simulator.operations())} operations,"
            f" speed {simulator.speed:g}, dates on {simulator.zone.key} time"
        )
        if simulator.demo_key:
            # The one place a key is shown: whoever started the simulator needs it.
            print(f"opsbot sim: demo API key {simulator.demo_key}")
        sys.stdout.flush()
        await stop.wait()
    print("opsbot sim: stopped", flush=True)


def _key(text: str) -> str:
    # argparse would quote a rejected value; a mistyped key is still a secret.
    if not is_well_formed_key(text):
        raise argparse.ArgumentTypeError(f"an API key is {API_KEY_SHAPE}")
    return text


def _zone(text: str) -> ZoneInfo:
    try:
        return time_zone(text, source="--timezone")
    except SettingsError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _count(text: str) -> int:
    number = int(text)
    if number < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return number


def _speed(text: str) -> float:
    number = float(text)
    if number <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return number
