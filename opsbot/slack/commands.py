"""The table of ``/ops`` sub-commands: one entry each, read by everything that needs them.

The parser (:func:`parse_command`), the usage line an error shows
(each entry's ``usage``), ``/ops help`` (:func:`help_message`) and the dispatch
(:mod:`opsbot.slack.ops_command`) all come from :data:`TABLE`. Adding a
sub-command is one entry here and its handler (and its template, if it
draws something new).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Final

from opsbot.api.filters import closest_names
from opsbot.slack import (
    audit_channel,
    cancel,
    follow,
    look,
    mute,
    relaunch,
    subscribe,
    team_config,
    team_key,
)
from opsbot.slack.grammar import (
    Arguments,
    Command,
    CommandError,
    Words,
    echoed,
    read_arguments,
    split_words,
)
from opsbot.slack.interaction import (
    IN_CHANNEL,
    IN_CHANNEL_WITH_KEY,
    MAY_CANCEL,
    MAY_RELAUNCH,
    NEEDS_KEY,
    NO_GUARDS,
    Guards,
    Interaction,
)
from opsbot.ui import common
from opsbot.ui.render import Message

CommandHandler = Callable[[Interaction, Command], Awaitable[None]]

HELP: Final = "help"
LIST: Final = "list"
COUNT: Final = "count"
INFO: Final = "info"
CANCEL: Final = "cancel"
RELAUNCH: Final = "relaunch"
WATCH: Final = "watch"
UNWATCH: Final = "unwatch"
WATCHES: Final = "watches"
SUBSCRIBE: Final = "subscribe"
SUBSCRIPTIONS: Final = "subscriptions"
UNSUBSCRIBE: Final = "unsubscribe"
KEY: Final = "key"
MUTE: Final = "mute"
UNMUTE: Final = "unmute"
CONFIG: Final = "config"
AUDIT: Final = "audit"

# The headings of /ops help, in order.
LOOK: Final = "Look"
ACT: Final = "Act"
FOLLOW: Final = "Follow"
API_KEY: Final = "API key"
SETTINGS: Final = "Settings"
SECTIONS: Final = (LOOK, ACT, FOLLOW, API_KEY, SETTINGS)


@dataclass(frozen=True)
class SubCommand:
    """One ``/ops`` sub-command: how it reads, how it is shown, and what answers it.

    ``run`` answers after the ack (the API, Redis, Slack may be slow);
    ``on_ack`` instead answers on the ack itself, for what needs nothing but
    this process. ``guards`` are checked before ``run``. ``help`` lists the
    forms ``/ops help`` shows under ``section`` (no section: not listed).
    """

    name: str
    arguments: Arguments
    usage: str
    help: tuple[tuple[str, str], ...] = ()
    section: str | None = None
    run: CommandHandler | None = None
    on_ack: Callable[[], Message] | None = None
    guards: Guards = NO_GUARDS

    def __post_init__(self) -> None:
        if (self.run is None) == (self.on_ack is None):
            raise ValueError(f"/ops {self.name} needs either run or on_ack, not both")


def help_message() -> Message:
    """``/ops help``: every listed sub-command under its heading, with examples."""
    return common.help_message(help_sections())


def help_sections() -> list[tuple[str, list[tuple[str, str]]]]:
    return [
        (title, [line for entry in TABLE if entry.section == title for line in entry.help])
        for title in SECTIONS
    ]


TABLE: Final[tuple[SubCommand, ...]] = (
    SubCommand(HELP, Arguments.NONE, "/ops help", on_ack=help_message),
    SubCommand(
        LIST,
        Arguments.FILTERS,
        "/ops list [filters]   e.g. /ops list step=ERROR type=domain_create",
        help=(
            (
                "/ops list [filters]",
                "a table of operations, with Info, Watch, Cancel and Relaunch buttons and paging",
            ),
        ),
        section=LOOK,
        run=look.list_command,
        guards=NEEDS_KEY,
    ),
    SubCommand(
        COUNT,
        Arguments.FILTERS,
        "/ops count [filters]   e.g. /ops count step=RUN",
        help=(("/ops count [filters]", "how many operations match"),),
        section=LOOK,
        run=look.count_command,
        guards=NEEDS_KEY,
    ),
    SubCommand(
        INFO,
        Arguments.ONE_ID,
        "/ops info ID   e.g. /ops info 123",
        help=(
            (
                "/ops info ID",
                "everything about one operation: steps, dates, ETA, last error, parameters",
            ),
        ),
        section=LOOK,
        run=look.info_command,
        guards=NEEDS_KEY,
    ),
    SubCommand(
        CANCEL,
        Arguments.ONE_ID,
        "/ops cancel ID   e.g. /ops cancel 123",
        help=(("/ops cancel ID", "cancel an operation (asks to confirm first)"),),
        section=ACT,
        run=cancel.cancel_command,
        guards=MAY_CANCEL,
    ),
    SubCommand(
        RELAUNCH,
        Arguments.ONE_ID,
        "/ops relaunch ID   e.g. /ops relaunch 123",
        help=(("/ops relaunch ID", "relaunch a failed operation, changing parameters in a form"),),
        section=ACT,
        run=relaunch.relaunch_command,
        guards=MAY_RELAUNCH,
    ),
    SubCommand(
        WATCH,
        Arguments.IDS,
        "/ops watch ID [ID…] [broadcast=always|failures|never] [dm]   e.g. /ops watch 123 124",
        help=(
            ("/ops watch ID [ID…]", "follow operations step by step in a thread"),
            ("/ops watch ID [ID…] dm", "the same in your direct messages with the app"),
            (
                "/ops watch ID broadcast=failures",
                "its end goes to the channel only if it failed (`never`: its thread only)",
            ),
        ),
        section=FOLLOW,
        run=follow.watch_command,
        guards=IN_CHANNEL_WITH_KEY,
    ),
    SubCommand(
        UNWATCH,
        Arguments.ONE_ID,
        "/ops unwatch ID   e.g. /ops unwatch 123",
        help=(("/ops unwatch ID", "stop following one"),),
        section=FOLLOW,
        run=follow.unwatch_command,
        guards=IN_CHANNEL,
    ),
    SubCommand(
        WATCHES,
        Arguments.NONE,
        "/ops watches",
        help=(("/ops watches", "what this channel follows"),),
        section=FOLLOW,
        run=follow.watches_command,
        guards=IN_CHANNEL,
    ),
    SubCommand(
        SUBSCRIBE,
        Arguments.SUBSCRIPTION_FILTERS,
        "/ops subscribe [filters] [broadcast=always|failures|never] [only=ERROR,SUPPORT]"
        "   e.g. /ops subscribe type=domain_create",
        help=(
            ("/ops subscribe [filters]", "a card and a thread for every new matching operation"),
            (
                "/ops subscribe [filters] only=ERROR,SUPPORT",
                "nothing until one ends in those steps, then one message",
            ),
        ),
        section=FOLLOW,
        run=subscribe.subscribe_command,
        # The key is asked for by the handler, once the filters are known to fit.
        guards=IN_CHANNEL,
    ),
    SubCommand(
        MUTE,
        Arguments.MUTE_LENGTH,
        "/ops mute LENGTH | until HH:MM (UTC)   e.g. /ops mute 2h",
        help=(
            (
                "/ops mute 2h | until 18:00",
                "keep this channel quiet (no broadcasts, no new cards), then one summary",
            ),
        ),
        section=FOLLOW,
        run=mute.mute_command,
        guards=IN_CHANNEL,
    ),
    SubCommand(
        UNMUTE,
        Arguments.NONE,
        "/ops unmute",
        help=(("/ops unmute", "end the mute now, with its summary"),),
        section=FOLLOW,
        run=mute.unmute_command,
        guards=IN_CHANNEL,
    ),
    SubCommand(
        SUBSCRIPTIONS,
        Arguments.NONE,
        "/ops subscriptions",
        help=(("/ops subscriptions", "this channel's subscriptions, numbered"),),
        section=FOLLOW,
        run=subscribe.subscriptions_command,
        guards=IN_CHANNEL,
    ),
    SubCommand(
        UNSUBSCRIBE,
        Arguments.SUBSCRIPTION,
        "/ops unsubscribe N   e.g. /ops unsubscribe 1",
        help=(("/ops unsubscribe N", "drop subscription number N"),),
        section=FOLLOW,
        run=subscribe.unsubscribe_command,
        guards=IN_CHANNEL,
    ),
    SubCommand(
        KEY,
        Arguments.KEY_ACTION,
        "/ops key [status|remove]",
        help=(
            ("/ops key", "set the team's API key (workspace admins only)"),
            ("/ops key status", "who set the key, when, and its fingerprint"),
            ("/ops key remove", "forget the key"),
        ),
        section=API_KEY,
        run=team_key.key_command,
    ),
    SubCommand(
        CONFIG,
        Arguments.NONE,
        "/ops config",
        help=(
            (
                "/ops config",
                "who may cancel and relaunch, read-only channels, approvals (workspace admins)",
            ),
        ),
        section=SETTINGS,
        run=team_config.config_command,
    ),
    SubCommand(
        AUDIT,
        Arguments.CHANNEL_OR_OFF,
        "/ops audit [#channel|off]   e.g. /ops audit #ops-audit",
        help=(
            ("/ops audit", "where cancels, relaunches, key and settings changes are posted"),
            ("/ops audit #channel", "post them there (workspace admins; `off`: nowhere)"),
        ),
        section=SETTINGS,
        run=audit_channel.audit_command,
    ),
)

BY_NAME: Final[Mapping[str, SubCommand]] = {entry.name: entry for entry in TABLE}
SUBCOMMANDS: Final = tuple(BY_NAME)


def parse_command(text: str) -> Command:
    """Parse what follows ``/ops``; raise :class:`CommandError` with a helpful message."""
    words = split_words(text)
    if not words:
        return Command(HELP)
    name, arguments = words[0].lower(), words[1:]
    entry = BY_NAME.get(name)
    if entry is None:
        raise CommandError(
            f"/ops has no command {echoed(words[0])}.",
            suggestions=closest_names(name, SUBCOMMANDS, limit=3),
            usage="Try `/ops help` for the list of commands.",
        )
    return read_arguments(entry.arguments, Words(name, arguments, entry.usage))
