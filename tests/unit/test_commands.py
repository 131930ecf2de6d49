"""The /ops grammar: every form, and a helpful refusal for every mistake."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import opsbot.slack
from opsbot.slack import commands, look
from opsbot.slack.commands import parse_command
from opsbot.slack.grammar import (
    MAX_WATCH_IDS,
    Arguments,
    ChannelRef,
    Command,
    CommandError,
    parse_operation_id,
)


@pytest.mark.parametrize("text", ["", "   ", "help", "HELP"])
def test_empty_and_help_mean_help(text: str) -> None:
    assert parse_command(text) == Command("help")


def test_list_with_filters_and_shell_quoting() -> None:
    command = parse_command('list step=ERROR type=domain_create sort_by="date_created DESC"')
    assert command.name == "list"
    assert command.filters["step"] == "ERROR"
    assert command.filters["type"] == "domain_create"
    assert command.filters["sort_by"] == "date_created DESC"


def test_smart_quotes_from_slack_clients_are_understood() -> None:
    command = parse_command("list sort_by=\u201cdate_created DESC\u201d")
    assert command.filters["sort_by"] == "date_created DESC"


@pytest.mark.parametrize("name", ["info", "cancel", "relaunch", "unwatch"])
def test_one_id_commands(name: str) -> None:
    assert parse_command(f"{name} 123").operation_ids == (123,)
    assert parse_command(f"{name} #124").operation_id == 124


def test_info_with_a_word_says_the_id_must_be_a_number() -> None:
    with pytest.raises(CommandError) as error:
        parse_command("info abc")
    assert "operation id must be a number" in error.value.message
    assert "`abc`" in error.value.message


def test_missing_or_extra_ids_are_refused_with_usage() -> None:
    with pytest.raises(CommandError) as missing:
        parse_command("cancel")
    assert "needs an operation id" in missing.value.message
    assert "/ops cancel 123" in missing.value.usage
    with pytest.raises(CommandError) as extra:
        parse_command("info 1 2")
    assert "one operation id only" in extra.value.message


def test_watch_dm_sends_the_watch_to_direct_messages() -> None:
    assert parse_command("watch 123 dm") == Command("watch", operation_ids=(123,), to_dm=True)
    assert parse_command("watch 1,2 DM").to_dm
    assert not parse_command("watch 123").to_dm
    with pytest.raises(CommandError, match="at least one operation id"):
        parse_command("watch dm")
    # "dm" anywhere but last is not an id.
    with pytest.raises(CommandError):
        parse_command("watch dm 123")


def test_watch_takes_several_ids_deduplicated() -> None:
    assert parse_command("watch 3 1,2 3").operation_ids == (3, 1, 2)
    with pytest.raises(CommandError):
        parse_command("watch " + " ".join(str(i) for i in range(1, MAX_WATCH_IDS + 2)))


def test_unknown_command_suggests_the_closest() -> None:
    with pytest.raises(CommandError) as error:
        parse_command("lst step=ERROR")
    assert error.value.suggestions[0] == "list"
    assert "/ops help" in error.value.usage


def test_unknown_filter_is_reported_with_the_known_ones() -> None:
    with pytest.raises(CommandError) as error:
        parse_command("list stpe=ERROR")
    assert "step" in error.value.suggestions
    assert "/ops list" in error.value.usage


def test_unclosed_quote() -> None:
    with pytest.raises(CommandError) as error:
        parse_command('list sort_by="date_created DESC')
    assert "quote" in error.value.message


def test_key_actions_and_a_pasted_key_is_never_echoed() -> None:
    assert parse_command("key").key_action == "set"
    assert parse_command("key status").key_action == "status"
    assert parse_command("key remove").key_action == "remove"
    pasted = "abcdefghijklmnopqrstuvwx"
    with pytest.raises(CommandError) as error:
        parse_command(f"key {pasted}")
    for text in (error.value.message, error.value.usage, *error.value.suggestions):
        assert pasted not in text


@pytest.mark.parametrize(
    "text",
    [
        "abcdefghijklmnopqrstuvwx",
        "info abcdefghijklmnopqrstuvwx",
        "cancel 123456789012345678901234",
        "watch 1,abcdefghijklmnopqrstuvwx",
    ],
)
def test_a_word_shaped_like_an_api_key_is_never_echoed(text: str) -> None:
    pasted = text.split()[-1].split(",")[-1]
    with pytest.raises(CommandError) as error:
        parse_command(text)
    for shown in (error.value.message, error.value.usage, *error.value.suggestions):
        assert pasted not in shown
    assert "looks like an API key" in error.value.message


@pytest.mark.parametrize(
    ("typed", "channel"),
    [
        # Picked from Slack's list: a link with or without the name.
        ("<#C0AUDIT|ops-audit>", ChannelRef(id="C0AUDIT")),
        ("<#G0PRIVATE>", ChannelRef(id="G0PRIVATE")),
        # As Slack sends the picked link when it escapes the text for a client.
        ("&lt;#C0AUDIT|ops-audit&gt;", ChannelRef(id="C0AUDIT")),
        ("C0AUDIT", ChannelRef(id="C0AUDIT")),
        # Typed without picking: only the name, looked up later.
        ("#Ops-Audit", ChannelRef(name="ops-audit")),
    ],
)
def test_audit_takes_a_channel_as_slack_sends_it(typed: str, channel: ChannelRef) -> None:
    assert parse_command(f"audit {typed}") == Command("audit", channel=channel)


def test_audit_alone_shows_and_off_clears() -> None:
    assert parse_command("audit") == Command("audit")
    assert parse_command("audit OFF") == Command("audit", clear=True)


@pytest.mark.parametrize("typed", ["#a #b", "general", "<@U0123>", "<#D0IM>", "off now", "#"])
def test_audit_refuses_what_is_no_channel(typed: str) -> None:
    with pytest.raises(CommandError) as refused:
        parse_command(f"audit {typed}")
    assert "takes one channel" in refused.value.message
    assert "/ops audit" in refused.value.usage


def test_unsubscribe_needs_a_number() -> None:
    assert parse_command("unsubscribe 2").subscription == 2
    with pytest.raises(CommandError):
        parse_command("unsubscribe two")


def test_commands_without_arguments_refuse_them() -> None:
    assert parse_command("watches") == Command("watches")
    with pytest.raises(CommandError) as error:
        parse_command("subscriptions now")
    assert "takes no arguments" in error.value.message


@pytest.mark.parametrize("word", ["0", "-1", "1e3", "\u0661\u0662", "99999999999"])
def test_bad_ids(word: str) -> None:
    with pytest.raises(CommandError):
        parse_operation_id(word)


@given(st.text(max_size=200))
def test_any_text_parses_or_is_refused_with_a_message(text: str) -> None:
    try:
        command = parse_command(text)
    except CommandError as error:
        message = error.message
    else:
        message = command.name
    assert message.strip()


def test_entities_slack_puts_in_command_text_are_decoded() -> None:
    command = parse_command("list &gt;date_created=2026-11-01 &lt;date_created=2026-11-20")
    assert set(command.filters) == {">date_created", "<date_created"}


# --- the table: help, usage, parser and dispatch agree ---------------------------------


def _example(entry: commands.SubCommand) -> str:
    """What follows `/ops` in the entry's usage example (or its bare form)."""
    usage = entry.usage.split("e.g. ")[-1]
    return usage.removeprefix("/ops").strip() if "e.g. " in entry.usage else entry.name


def _handlers_defined() -> set[Callable[..., Any]]:
    """Every command handler in the listener modules: by convention, ``<name>_command``."""
    found = set()
    for module_info in pkgutil.iter_modules(opsbot.slack.__path__):
        module = importlib.import_module(f"opsbot.slack.{module_info.name}")
        for name, value in vars(module).items():
            handler = name.endswith("_command") and inspect.iscoroutinefunction(value)
            if handler and value.__module__ == module.__name__:
                found.add(value)
    return found


def test_every_sub_command_has_a_usage_line_naming_it() -> None:
    # One entry per name: a second entry of the same name would vanish from BY_NAME.
    assert [entry.name for entry in commands.TABLE] == list(commands.SUBCOMMANDS)
    for entry in commands.TABLE:
        assert entry.usage.startswith(f"/ops {entry.name}")


@pytest.mark.parametrize("entry", commands.TABLE, ids=lambda entry: entry.name)
def test_every_sub_command_parses_its_own_example(entry: commands.SubCommand) -> None:
    assert parse_command(_example(entry)).name == entry.name


def test_every_sub_command_but_help_is_listed_in_help_under_its_heading() -> None:
    sections = dict(commands.help_sections())
    assert list(sections) == list(commands.SECTIONS)
    for entry in commands.TABLE:
        if entry.name == commands.HELP:
            assert entry.section is None  # help is named in the message's own footer
            continue
        assert entry.section in sections
        forms = [form for form, _ in sections[entry.section]]
        assert forms
        assert all(form.startswith(f"/ops {entry.name}") for form, _ in entry.help)
        assert set(dict(entry.help)) <= set(forms)
    text = json.dumps(commands.help_message())
    for entry in commands.TABLE:
        assert f"/ops {entry.name}" in text


def test_every_sub_command_dispatches_and_no_handler_lacks_an_entry() -> None:
    runs = {entry.run for entry in commands.TABLE if entry.run is not None}
    for entry in commands.TABLE:
        # Exactly one answer: after the ack, or on it.
        assert (entry.run is None) != (entry.on_ack is None)
        if entry.run is not None:
            assert inspect.iscoroutinefunction(entry.run)
            assert entry.run.__name__ == f"{entry.name}_command"
    assert commands.BY_NAME[commands.HELP].on_ack is commands.help_message
    assert _handlers_defined() == runs


def test_an_entry_answers_one_way_only() -> None:
    with pytest.raises(ValueError, match="either run or on_ack"):
        commands.SubCommand("nothing", Arguments.NONE, "/ops nothing")
    with pytest.raises(ValueError, match="either run or on_ack"):
        commands.SubCommand(
            "both",
            Arguments.NONE,
            "/ops both",
            run=look.list_command,
            on_ack=commands.help_message,
        )
