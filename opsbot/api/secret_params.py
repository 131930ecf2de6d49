"""Which operation parameters hold secrets, defined once.

Transfer codes (``authinfo``), registry auth ids and keys
(``x-aero_ens_authid``, ``x-aero_ens_authkey``), PINs and passwords are
credentials: their values are redacted from API error texts, masked on the
info card and never pre-filled in the relaunch form. Personal data such as a
passport number is not a credential and is shown.
"""

from __future__ import annotations

import re
from typing import Final

_SECRET_NAME: Final = re.compile(
    r"auth_?(?:info|id|key|code)|pass(?:word|wd)|secret|token|(?:^|[_-])pin$",
    re.IGNORECASE,
)


def is_secret_parameter(name: str) -> bool:
    """True when the values of the parameter ``name`` must never be shown."""
    return _SECRET_NAME.search(name) is not None
