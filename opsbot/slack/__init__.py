"""The Slack listeners: commands, buttons, modals and workspace events.

- :mod:`~opsbot.slack.app` builds the bolt app and registers every listener;
- :mod:`~opsbot.slack.interaction` is the request being answered (who asked,
  where, how to answer, the team's key, the audit record) and the guards;
- :mod:`~opsbot.slack.commands` is the table of ``/ops`` sub-commands,
  :mod:`~opsbot.slack.grammar` reads their words, and
  :mod:`~opsbot.slack.ops_command` is the ``/ops`` listener;
- one module per feature: :mod:`~opsbot.slack.look` (list, count, info,
  paging), :mod:`~opsbot.slack.cancel`, :mod:`~opsbot.slack.relaunch`,
  :mod:`~opsbot.slack.follow` (watches), :mod:`~opsbot.slack.subscribe`,
  :mod:`~opsbot.slack.team_key`, :mod:`~opsbot.slack.events`,
  :mod:`~opsbot.slack.permissions`, :mod:`~opsbot.slack.audit_trail` with
  :mod:`~opsbot.slack.audit_channel` (`/ops audit`: each workspace's channel).

``surfaces`` builds every message and modal; ``render`` and ``limits`` make
them safe (escaped) and acceptable to Slack (within its limits). Nothing here
starts a process or the watcher: :mod:`opsbot.runtime` does.
"""
