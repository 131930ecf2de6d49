"""The shape of a Slack id (team, enterprise, user, channel), defined once.

Slack ids are upper-case letters and digits (``T0123ABCD``, ``U0456``). Checking
the shape before an id goes into a Redis key, a ``<@…>`` mention or a setting
keeps a hostile value from injecting ``}``, ``:`` or ``>`` anywhere.
"""

from __future__ import annotations

import re
from typing import Final

SLACK_ID: Final = re.compile(r"[A-Z0-9]{1,32}")


def is_slack_id(value: object) -> bool:
    return isinstance(value, str) and SLACK_ID.fullmatch(value) is not None
