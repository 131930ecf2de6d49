"""Everything a person sees: view models, payload codecs, Block Kit from templates.

Both the Slack listeners and the watcher draw through this package, and it
does no I/O of its own: no Redis, no network, no Slack client. Builders take
API and store objects and return plain dicts ready for Slack.

- ``render``: Jinja2 over ``templates/`` (escaping, ``Message``/``Modal``);
  ``limits``: Slack's limits, enforced on every payload; ``humanize``: dates,
  steps and values in words; ``echo``: filters shown back to a person.
- ``ids`` and ``payloads``: the ids Slack hands back and the typed codecs of
  what buttons and modals carry.
- ``views``: operations, watches and subscriptions in the words templates show.
- One builder module per feature: ``common``, ``operations``, ``relaunch``
  (with ``relaunch_inputs``), ``watching``, ``team_key``, ``audit``.
"""
