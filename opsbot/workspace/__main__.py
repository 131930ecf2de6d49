"""``python -m opsbot.workspace``."""

from opsbot.workspace.cli import main

raise SystemExit(main())
