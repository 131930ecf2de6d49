"""The Slack app: commands, buttons, modals, and the templates they render.

``surfaces`` builds every message and modal; ``render`` and ``limits`` make
them safe (escaped) and acceptable to Slack (within its limits).
"""
