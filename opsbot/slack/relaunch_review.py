"""The review between the relaunch form and the API: pushed when fields changed, read back.

The review view carries what its submission needs (the operation, where to
answer, the new values) in private_metadata, encrypted with the vault under
the team's id: the new values may be secrets (an authinfo), and Slack hands
private_metadata back verbatim. A review that would not fit Slack's 3000
characters is skipped: the relaunch goes ahead as submitted.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any, Final

from opsbot.services import Services
from opsbot.slack.interaction import Interaction
from opsbot.store.vault import VaultError
from opsbot.ui import limits
from opsbot.ui.payloads import PayloadError, RelaunchMetadata
from opsbot.ui.relaunch_review import changed_fields, review_modal
from opsbot.ui.render import Modal

# The vault's associated data: a record made for a review opens nowhere else.
PURPOSE: Final = "relaunch_review"


@dataclasses.dataclass(frozen=True)
class Reviewed:
    """A review's submission: who asked (with where to answer), which operation, what to send."""

    asked: Interaction
    op_id: int
    values: dict[str, str]


@dataclasses.dataclass(frozen=True)
class Review:
    """What a submitted form leads to: a review to push, or the values to send now.

    ``values`` holds only what changes the operation (empty: relaunch as is).
    """

    values: dict[str, str]
    view: Modal | None = None


async def review_of(asked: Interaction, op_id: int, submitted: Mapping[str, str]) -> Review:
    """Compare what was submitted with the operation as the API has it now (one info call).

    Nothing changed: relaunch as is, one click. Else the review, unless it
    would not fit private_metadata: then the changes go at once.
    """
    operation = await asked.services.api.info(asked.key, op_id)
    changes = changed_fields(operation.params, submitted)
    values = {change.name: change.new for change in changes}
    if not changes:
        return Review(values)
    metadata = RelaunchMetadata(op_id, asked.requester.channel_id, asked.requester.response_url)
    sealed = _seal(asked.services, asked.team_id, metadata, values)
    if sealed is None:
        return Review(values)
    return Review(values, review_modal(op_id, changes, metadata=sealed))


def read_reviewed(services: Services, asked: Interaction, view: Mapping[str, Any]) -> Reviewed:
    """The submission of a review; PayloadError when its metadata is not one we sealed."""
    try:
        opened = services.vault.decrypt(asked.team_id, PURPOSE, str(view["private_metadata"]))
        document = json.loads(opened)
        metadata = RelaunchMetadata.parse(document["metadata"])
        values = {str(name): str(value) for name, value in dict(document["values"]).items()}
    except (VaultError, ValueError, KeyError, TypeError):
        raise PayloadError("not a relaunch review") from None
    requester = asked.requester.opened_from(metadata.channel_id, metadata.response_url)
    return Reviewed(dataclasses.replace(asked, requester=requester), metadata.operation_id, values)


def _seal(
    services: Services, team_id: str, metadata: RelaunchMetadata, values: Mapping[str, str]
) -> str | None:
    document = json.dumps({"metadata": metadata.to_value(), "values": dict(values)})
    sealed = services.vault.encrypt(team_id, PURPOSE, document)
    return sealed if limits.slack_length(sealed) <= limits.PRIVATE_METADATA else None
