"""Every builder of ``opsbot.ui`` called once with small, plain data.

Between them the calls render every surface template, which is what a wheel
must be able to do once installed. This module imports nothing but opsbot
and the standard library, so ``tests/unit/ui/test_wheel.py`` runs it with
``runpy`` against an installed wheel as well as against the source tree.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from opsbot.api.catalog import RELAUNCH_PARAMETERS, choose_relaunch_fields
from opsbot.api.errors import NotFoundError
from opsbot.api.operation import Operation
from opsbot.api.related import InFlight, ObjectRef
from opsbot.slack.commands import help_sections
from opsbot.store.bursts import Outcome, Summary
from opsbot.store.guardrails import CANCEL, RELAUNCH, Guardrails, WhoMay
from opsbot.store.outbox import Post, PostKind
from opsbot.store.subscriptions import Subscription
from opsbot.store.watches import Announced, Card, Watch
from opsbot.ui import (
    approvals,
    audit,
    burst_summary,
    cancel_modal,
    common,
    guardrails,
    operations,
    relaunch,
    relaunch_review,
    render,
    team_key,
    watching,
)
from opsbot.ui.home import FailedOperations, HomeContent, home_view
from opsbot.ui.in_flight import InFlightView, with_in_flight
from opsbot.ui.payloads import CancelButtonValue, ListedPage
from opsbot.ui.views import WatchOutcome

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
USER = "U0ALICE"
CHANNEL = "C0HERE"


def template_names() -> list[str]:
    """Every template, partials (``_*.j2``) included, as ``render.render`` names them."""
    return render.environment().list_templates(extensions=["j2"])


def draw_every_surface() -> list[dict[str, Any]]:
    """One message, modal or block_suggestion answer (``{"options": …}``) from every builder."""
    return [
        *_common(),
        *_team_key(),
        *_operations(),
        *_cancel_modal(),
        *_relaunch(),
        *_watching(),
        *_bursts(),
        *_audit(),
        *_home(),
        *_guardrails(),
        *_approvals(),
    ]


def _operation(step: str = "ERROR") -> Operation:
    return Operation.from_api(
        {
            "id": 123,
            "type": "domain_transfer_in",
            "step": step,
            "date_created": NOW - dt.timedelta(hours=1),
            "last_error": "authinfo is wrong",
            "params": {"domain": "example.com", "authinfo": "secret"},
        }
    )


def _in_flight(operation: Operation) -> InFlightView:
    other = _operation("RUN")
    found = InFlight(ObjectRef("domain", "example.com", "domain"), [other], [other])
    return InFlightView.of(found, NOW, warn_duplicates=operation.step == "ERROR")


def _common() -> list[dict[str, Any]]:
    return [
        common.help_message(help_sections()),
        common.error_message("wrong", hint="right", suggestions=["step"]),
        common.working_message("Listing operations"),
        common.notice_message("Done."),
        common.notice_modal("opsbot", "Done."),
        common.api_error_message(NotFoundError("no such operation"), op_id=123),
    ]


class _KeyStatus:
    set_by = USER
    set_at = NOW
    fingerprint = "a1b2c3d4"
    readable = True


class _UnreadableKeyStatus(_KeyStatus):
    readable = False


def _team_key() -> list[dict[str, Any]]:
    return [
        team_key.key_required_message(),
        team_key.key_unreadable_message(),
        team_key.key_modal(error="not a key"),
        team_key.key_status_message(_KeyStatus(), now=NOW),
        team_key.key_status_message(_UnreadableKeyStatus(), now=NOW),
    ]


def _operations() -> list[dict[str, Any]]:
    waiting = _operation("WAIT")
    return [
        operations.list_message(
            [waiting], filters={"step": "WAIT"}, page=0, items_per_page=1, total=2, now=NOW
        ),
        operations.count_message(2, {"step": "WAIT"}),
        operations.info_message(waiting, now=NOW),
        operations.info_message(waiting, now=NOW, read_only=True),
        operations.list_message(
            [waiting], filters={}, page=0, items_per_page=1, total=1, now=NOW, read_only=True
        ),
        operations.cancel_confirm_message(waiting, now=NOW),
        operations.cancel_confirm_message(waiting, now=NOW, in_flight=_in_flight(waiting)),
        operations.cancel_result_message(_operation("CANCEL"), user_id=USER, now=NOW),
    ]


def _cancel_modal() -> list[dict[str, Any]]:
    """The Cancel button's confirmation in each state: looking, loaded (others in
    flight, nothing else, the API not answering the look), and the operation unreadable."""
    waiting = _operation("WAIT")
    listed = ListedPage({"step": "WAIT"}, 0, 2, (123, 124))
    metadata = cancel_modal.cancel_metadata(
        CancelButtonValue(123, "list", listed),
        channel_id=CHANNEL,
        response_url="https://hooks.slack.com/actions/T0123/1/abc",
    )
    nothing = InFlightView.of(
        InFlight(ObjectRef("domain", "example.com", "domain"), [], []), NOW, warn_duplicates=False
    )
    unknown = InFlightView.unknown("domain example.com", "The API is busy or rate-limiting.")
    return [
        cancel_modal.cancel_loading_modal(metadata),
        cancel_modal.cancel_modal(waiting, metadata, in_flight=_in_flight(waiting), now=NOW),
        cancel_modal.cancel_modal(waiting, metadata, in_flight=nothing, now=NOW),
        cancel_modal.cancel_modal(waiting, metadata, in_flight=unknown, now=NOW),
        cancel_modal.cancel_modal(waiting, metadata, in_flight=None, now=NOW),
        common.message_modal(
            "Cannot cancel", common.api_error_message(NotFoundError("no such operation"), op_id=123)
        ),
    ]


def _relaunch() -> list[dict[str, Any]]:
    failed = _operation()
    fields = choose_relaunch_fields(failed)
    everything = list(RELAUNCH_PARAMETERS.values())
    return [
        relaunch.relaunch_loading_modal(123, channel_id=CHANNEL),
        relaunch.relaunch_modal(failed, fields, now=NOW),
        relaunch.relaunch_modal(failed, everything + everything, now=NOW),
        with_in_flight(relaunch.relaunch_modal(failed, fields, now=NOW), _in_flight(failed)),
        relaunch.relaunched_message(123, user_id=USER, params={"authinfo": "new"}),
        # block_suggestion answers: the "add a field" menu, untyped and typed.
        relaunch.add_field_options("", [field.name for field in fields]),
        relaunch.add_field_options("x-", []),
        relaunch_review.mark_asked(relaunch.relaunch_modal(failed, fields, now=NOW), ["authinfo"]),
        relaunch_review.review_modal(
            123,
            [
                relaunch_review.FieldChange("authinfo", None, "new-code"),
                relaunch_review.FieldChange("x-es_identification", "X1", "X2"),
            ],
            metadata="sealed",
        ),
    ]


def _watching() -> list[dict[str, Any]]:
    card = Card(channel=CHANNEL, ts="1700000000.000100", watchers=(USER,), started_by=USER)
    watch = Watch(
        team_id="T0123",
        op_id=123,
        type="domain_transfer_in",
        label="example.com",
        step="RUN",
        step_at=NOW,
        created_at=NOW,
        expires_at=NOW + dt.timedelta(days=7),
        eta=60,
        cards=(card,),
    )
    step = Post("1-0", 123, CHANNEL, PostKind.STEP, "WAIT", "RUN", NOW, "")
    final = Post("2-0", 123, CHANNEL, PostKind.FINAL, "RUN", "ERROR", NOW, "")
    subscription = Subscription(1, CHANNEL, {"step": "ERROR"}, USER, NOW, NOW)
    announced = Announced(RELAUNCH, USER, ("authinfo", "x-ca_owner_name"), approved_by=USER)
    relaunch_card = dataclasses.replace(card, announced=announced)
    relaunch_watch = dataclasses.replace(watch, cards=(relaunch_card,))
    cancelled = Announced(CANCEL, USER, approved_by=USER)
    cancel_card = dataclasses.replace(card, announced=cancelled)
    cancel_watch = dataclasses.replace(watch, step="CANCEL", cards=(cancel_card,))
    return [
        watching.watch_card_message(watch, now=NOW, channel=CHANNEL),
        watching.watch_card_message(relaunch_watch, now=NOW, channel=CHANNEL),
        watching.watch_unwatched_card(relaunch_watch, user_id=USER, now=NOW, channel=CHANNEL),
        watching.watch_card_message(cancel_watch, now=NOW, channel=CHANNEL),
        watching.watch_unwatched_card(cancel_watch, user_id=USER, now=NOW, channel=CHANNEL),
        watching.watch_step_reply(step, now=NOW),
        watching.watch_step_reply(step, now=NOW, earlier=[step]),
        watching.watch_final_reply(watch, final, operation=_operation(), now=NOW),
        watching.watch_final_reply(
            watch, final, operation=_operation(), now=NOW, earlier=[step], mention=False
        ),
        watching.watch_final_reply(watch, final, operation=_operation(), now=NOW, read_only=True),
        watching.watch_note("Paused."),
        watching.watch_unwatched_card(watch, user_id=USER, now=NOW),
        watching.watch_outcomes_message([WatchOutcome(123, "started")]),
        watching.watch_outcomes_message([WatchOutcome(123, "limit", watched=500, limit=500)]),
        watching.watch_limit_note(500),
        watching.subscription_limit_message(20, 20),
        watching.unwatch_message(123, removed=True),
        watching.watches_message([watch], now=NOW, channel=CHANNEL),
        watching.watches_message(
            [watch], now=NOW, channel=CHANNEL, muted=(NOW.timestamp() + 3600, USER)
        ),
        watching.subscribed_message(subscription),
        watching.subscribed_message(
            Subscription(2, CHANNEL, {"type": "domain_renew"}, USER, NOW, NOW, only=("ERROR",))
        ),
        watching.subscriptions_message([subscription], now=NOW),
        watching.unsubscribe_message(1, removed=True),
    ]


def _bursts() -> list[dict[str, Any]]:
    """A burst summary as long as one gets: 500 outcomes (an outbox page), 100 watchers."""
    steps = ("DONE", "ERROR", "SUPPORT", "CANCEL")
    outcomes = {
        op_id: Outcome(
            op_id,
            steps[op_id % 4],
            "domain_transfer_in",
            f"a-rather-long-domain-name-{op_id}.example.com",
            f"1700000000.{op_id:06d}",
            (f"U0W{op_id % 100:04d}",),
        )
        for op_id in range(2_000_000_000, 2_000_000_500)
    }
    summary = Summary(CHANNEL, "1700000000.000001", NOW.timestamp(), outcomes=outcomes)
    one = Summary(CHANNEL, "", NOW.timestamp(), outcomes=dict(list(outcomes.items())[:1]))
    return [
        burst_summary.burst_summary_message(summary),
        burst_summary.burst_summary_message(one),
        burst_summary.burst_summary_message(summary, muted_by=USER),
    ]


def _audit() -> list[dict[str, Any]]:
    return [
        audit.audit_message(user_id=USER, action="cancel", target="123", outcome="ok", at=NOW),
        # /ops audit: none set, the team's, OPSBOT_AUDIT_CHANNEL's, chosen, cleared.
        audit.audit_channel_message(None),
        audit.audit_channel_message(CHANNEL),
        audit.audit_channel_message(CHANNEL, from_setting=True),
        audit.audit_channel_message(CHANNEL, change="set", previous="C0OLD"),
        audit.audit_channel_message(None, change="cleared", previous=CHANNEL),
        audit.audit_channel_message(CHANNEL, from_setting=True, change="cleared", previous="C0OLD"),
    ]


def _home() -> list[dict[str, Any]]:
    card = Card(channel=CHANNEL, ts="1700000000.000100", watchers=(USER,), started_by=USER)
    watch = Watch(
        team_id="T0123",
        op_id=124,
        type="domain_renew",
        label="example.com",
        step="WAIT",
        step_at=NOW,
        created_at=NOW,
        expires_at=NOW + dt.timedelta(days=7),
        eta=None,
        cards=(card,),
    )
    content = HomeContent(
        user_id=USER,
        watches=[watch],
        failed=FailedOperations(count=1, newest=[_operation()]),
        subscriptions=[Subscription(1, CHANNEL, {"step": "ERROR"}, USER, NOW, NOW)],
        key=_KeyStatus(),
        grammar=help_sections(),
    )
    return [home_view(content, now=NOW)]


def _guardrails() -> list[dict[str, Any]]:
    rules = Guardrails(read_only_channels=frozenset({CHANNEL})).with_who_may(
        "cancel", WhoMay.only(groups=["S0ONCALL"], people=[USER])
    )
    refusal = guardrails.Refusal.not_listed("cancel", rules.who_may_do("cancel"))
    return [
        guardrails.config_loading_modal(),
        guardrails.config_modal(rules, [guardrails.UserGroup("S0ONCALL", "oncall")]),
        guardrails.config_modal(Guardrails(), [], groups_note="No user groups."),
        guardrails.config_saved_modal(["who may cancel: everyone"]),
        guardrails.not_allowed_message(refusal),
        guardrails.not_allowed_modal(guardrails.Refusal("read_only", "relaunch")),
    ]


class _Request:
    action = "relaunch"
    op_id = 123
    requester = USER
    op_type = "domain_transfer_in"
    label = "example.com"
    step = "ERROR"
    shown_params = approvals.shown_params({"authinfo": "secret", "duration": "2"})


class _Approval:
    id = "0123456789abcdef"
    state = "pending"
    created_at = NOW
    expires_at = NOW + dt.timedelta(minutes=30)
    decided_by = ""


class _Approved(_Approval):
    state = "approved"
    decided_by = "U0BOB"


class _Expired(_Approval):
    state = "expired"


def _approvals() -> list[dict[str, Any]]:
    request = _Request()
    return [
        approvals.approval_card(_Approval(), request, now=NOW),
        approvals.approval_card(
            _Approved(), request, now=NOW, result="Operation 123 was relaunched."
        ),
        approvals.approval_card(_Expired(), request, now=NOW),
    ]
