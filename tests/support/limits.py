"""List every way a payload breaks Slack's limits, for assertions.

Production never needs the list, only the repair (``enforce_limits``); both
share ``opsbot.ui.limits.Fitter``'s walk, so a payload reported clean here is
exactly one enforce_limits leaves unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opsbot.ui.limits import Fitter, Surface


def check_limits(payload: Mapping[str, Any], surface: Surface) -> list[str]:
    """Every way ``payload`` breaks one of Slack's limits, in words (empty: none)."""
    fitter = Fitter(fix=False)
    fitter.surface(dict(payload), surface)  # nothing is modified when not fixing
    return fitter.violations
