"""The Slack app: the listeners for commands, buttons and modals.

What they show is built by :mod:`opsbot.ui`; what buttons and modals carry is
parsed there too (:mod:`opsbot.ui.payloads`), as soon as a listener gets it.
"""
