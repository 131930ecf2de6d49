"""opsbot: follow, cancel and relaunch API operations from Slack."""

__version__ = "0.1.0"
