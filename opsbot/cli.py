"""The ``opsbot`` command: serve | worker | socket | playground | sim | keygen | rotate-keys."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from opsbot import event_loop
from opsbot.config import Settings, SettingsError
from opsbot.logs import configure_logging


def keygen(_: argparse.Namespace) -> int:
    """Print a fresh encryption key, in the form OPSBOT_ENCRYPTION_KEYS reads."""
    from opsbot.store.vault import Keyring

    print(Keyring.generate().export())
    return 0


def sim(args: argparse.Namespace) -> int:
    from opsbot.simulator.cli import run_from_args

    return run_from_args(args)


def require_data_dir(settings: Settings) -> None:
    """Without REDIS_URL, Redis and the key file live in OPSBOT_DATA_DIR: it must be usable.

    Checked before anything starts, so a bad directory is one line naming the
    variable rather than a traceback from deep inside the start-up.
    """
    if settings.redis_url:
        return
    try:
        settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise SettingsError(
            f"OPSBOT_DATA_DIR {settings.data_dir} cannot be created ({error.strerror}): "
            "set it to a directory opsbot can write, or set REDIS_URL"
        ) from None


def serve(args: argparse.Namespace) -> int:
    from opsbot import runtime

    settings = Settings.from_env()
    configure_logging(settings)
    web_app = runtime.build_web_app(settings, watcher=not args.no_watcher)
    require_data_dir(settings)
    runtime.serve(web_app, settings)
    return 0


def worker(_: argparse.Namespace) -> int:
    from opsbot import runtime

    settings = Settings.from_env()
    configure_logging(settings)
    settings.slack.require_workspace()
    require_data_dir(settings)
    event_loop.run(runtime.run_worker(settings))
    return 0


def socket(args: argparse.Namespace) -> int:
    from opsbot import runtime

    settings = Settings.from_env()
    configure_logging(settings)
    settings.slack.require_socket_mode()
    require_data_dir(settings)
    event_loop.run(runtime.run_socket(settings, watcher=not args.no_watcher))
    return 0


LOCALHOST = ("127.0.0.1", "localhost")


def playground(args: argparse.Namespace) -> int:
    """The simulator, a local Slack workspace, opsbot and a page to try it in the browser."""
    from opsbot import runtime
    from opsbot.playground.world import Options

    if args.host not in LOCALHOST:
        raise SettingsError(
            f"the playground binds to 127.0.0.1 only, not {args.host}: it has no sign-in, and "
            "whoever reaches it acts as a workspace admin with the team's API key"
        )
    # Only PORT is read from the environment; Slack's settings, REDIS_URL and
    # the data dir are the playground's own.
    settings = Settings.from_env({"PORT": os.environ.get("PORT", "")})
    configure_logging(settings, logging.WARNING)
    given = {"seed": args.seed, "speed": args.speed}
    options = Options(
        port=settings.port if args.port is None else args.port,
        **{name: value for name, value in given.items() if value is not None},
    )
    event_loop.run(runtime.run_playground(options))
    return 0


def rotate_keys(_: argparse.Namespace) -> int:
    from opsbot.store.rotation import rotate_all

    settings = Settings.from_env()
    configure_logging(settings)
    require_data_dir(settings)
    report = event_loop.run(rotate_all(settings))
    # One line per record that needs the operator (team and field, never a
    # value), then the counts; not complete means the old keys must stay.
    print("\n".join(report.lines()))
    return 0 if report.complete else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="opsbot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    _add_serving(commands, "serve", "serve Slack over HTTP (and run the watcher)", serve)
    commands.add_parser("worker", help="poll watched operations").set_defaults(handler=worker)
    _add_serving(commands, "socket", "serve Slack over Socket Mode (and run the watcher)", socket)
    commands.add_parser("rotate-keys", help="re-encrypt secrets under the first key").set_defaults(
        handler=rotate_keys
    )
    _add_playground(commands)
    commands.add_parser("keygen", help="print a fresh encryption key").set_defaults(handler=keygen)

    simulator = commands.add_parser("sim", help="serve a simulated operation API")
    from opsbot.simulator.cli import add_arguments

    add_arguments(simulator)
    simulator.set_defaults(handler=sim)
    return parser


def _add_serving(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    what: str,
    handler: Callable[[argparse.Namespace], int],
) -> None:
    """``serve`` and ``socket`` both run a watcher unless told not to."""
    parser = commands.add_parser(name, help=what)
    parser.add_argument(
        "--no-watcher", action="store_true", help="do not poll watched operations in this process"
    )
    parser.set_defaults(handler=handler)


def _add_playground(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "playground", help="try opsbot in a local Slack workspace in the browser"
    )
    parser.add_argument("--port", type=_port, help="the page's port (default: PORT, or 3000)")
    parser.add_argument("--seed", type=int, help="seed of the demo operations (default 1)")
    parser.add_argument(
        "--speed", type=_speed, help="how much faster than real time operations move (default 1)"
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="127.0.0.1 only: the playground has no sign-in"
    )
    parser.set_defaults(handler=playground)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) < 65536:
        raise argparse.ArgumentTypeError("a TCP port: 1 to 65535 (0: any free one)")
    return int(text)


def _speed(text: str) -> float:
    try:
        speed = float(text)
    except ValueError:
        speed = 0.0
    if speed <= 0:
        raise argparse.ArgumentTypeError("a number greater than 0, for example 10")
    return speed


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except SettingsError as error:
        print(f"opsbot: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
