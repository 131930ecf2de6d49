"""The ids Slack hands back to us: action_id, callback_id, block_id.

Builders put them in messages and modals; handlers listen for them. Slack wants
an action_id unique within its block only, so several rows of one list message
may each carry an ``op_info`` button. What each one carries (a button's value,
a modal's private_metadata) is read and written by its codec in
:mod:`opsbot.ui.payloads`, named beside it here.
"""

from __future__ import annotations

import re
from typing import Final

# Buttons on an operation (list rows, info card, watch card). Value:
# payloads.OperationButtonValue (the operation id as a decimal string), except
# Cancel, whose value is payloads.CancelButtonValue (a bare id, or JSON saying
# which message to redraw after the cancel); Cancel opens the CALLBACK_CANCEL modal.
ACTION_INFO: Final = "op_info"
ACTION_WATCH: Final = "op_watch"
ACTION_UNWATCH: Final = "op_unwatch"
# On a watch card: the next broadcast preference (always → failures → never).
ACTION_BROADCAST: Final = "op_broadcast"
ACTION_CANCEL: Final = "op_cancel"
ACTION_RELAUNCH: Final = "op_relaunch"

# The Home tab's buttons on a failed operation: they answer in the person's
# direct message with the app (a Home tab has no channel and no response_url).
# Value: payloads.OperationButtonValue.
ACTION_HOME_INFO: Final = "home_info"
ACTION_HOME_RELAUNCH: Final = "home_relaunch"

# The two answers to "/ops cancel ID". Value: payloads.OperationButtonValue.
ACTION_CANCEL_CONFIRM: Final = "op_cancel_confirm"
ACTION_CANCEL_KEEP: Final = "op_cancel_keep"

# The Cancel button's confirmation, a modal: submit cancels, close keeps it.
# private_metadata: payloads.CancelMetadata.
CALLBACK_CANCEL: Final = "cancel"

# Previous/Next under a list. Both sit in one block, so each needs its own
# action_id; handlers match ACTION_PAGE_PATTERN. Value: payloads.PageButtonValue.
ACTION_PAGE: Final = "list_page"
ACTION_PAGE_PREVIOUS: Final = f"{ACTION_PAGE}_previous"
ACTION_PAGE_NEXT: Final = f"{ACTION_PAGE}_next"
ACTION_PAGE_PATTERN: Final = re.compile(rf"^{ACTION_PAGE}(_previous|_next)?$")

# The relaunch modal: one input per parameter (block_id = the parameter's API
# name, action_id ACTION_VALUE; read back by relaunch_inputs) and a select that
# brings in another parameter. private_metadata: payloads.RelaunchMetadata.
CALLBACK_RELAUNCH: Final = "relaunch"
# The review pushed on the relaunch form when fields changed (ui.relaunch_review):
# its private_metadata is encrypted (it holds the new values).
CALLBACK_RELAUNCH_REVIEW: Final = "relaunch_review"
ACTION_ADD_FIELD: Final = "relaunch_add_field"
BLOCK_ADD_FIELD: Final = "relaunch_add_field"

# The API key modal.
CALLBACK_API_KEY: Final = "api_key"
BLOCK_API_KEY: Final = "api_key"

# The action_id of every modal input whose block_id names what it holds.
ACTION_VALUE: Final = "value"

# The /ops config modal (guardrails). Per action (cancel, relaunch): a radio
# block "<action>_who" (CONFIG_EVERYONE or CONFIG_CHOSEN), a user-group select
# "<action>_groups" and a people select "<action>_people"; then the read-only
# channels, the actions needing approval and the approval's lifetime. Every
# input's action_id is ACTION_VALUE; read back by ui.guardrails.read_config.
CALLBACK_CONFIG: Final = "ops_config"
CONFIG_EVERYONE: Final = "everyone"
CONFIG_CHOSEN: Final = "chosen"
BLOCK_READ_ONLY: Final = "read_only_channels"
BLOCK_APPROVALS: Final = "approvals"
BLOCK_APPROVAL_MINUTES: Final = "approval_minutes"


def config_block(action: str, part: str) -> str:
    """The block_id of one of an action's inputs: ``who``, ``groups`` or ``people``."""
    return f"{action}_{part}"


# The approval card's buttons. Value: the request's id (16 hex digits, see
# store.keyspace.check_approval_id).
ACTION_APPROVE: Final = "approval_approve"
ACTION_DENY: Final = "approval_deny"
