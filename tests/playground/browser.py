"""Finding a Chromium for the browser tests: the system's own, never a downloaded one.

Playwright drives the browser the system's packages installed (Debian's
``chromium``), through ``executable_path``; ``playwright install`` is never
needed. ``OPSBOT_BROWSER`` names another Chromium-based browser.
"""

from __future__ import annotations

import os
import shutil
from typing import Final

CANDIDATES: Final = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
MISSING: Final = (
    "browser tests skipped: no Chromium found; install one with "
    "`sudo apt-get install chromium` (or set OPSBOT_BROWSER to a Chromium-based browser)"
)


def find_browser() -> str | None:
    wanted = os.environ.get("OPSBOT_BROWSER")
    for candidate in (wanted, *CANDIDATES) if wanted else CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"
