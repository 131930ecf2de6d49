"""The watcher: polls watched operations in batches and posts their steps to Slack threads.

- :mod:`~opsbot.watcher.worker`: the loop (``opsbot worker``, and the watcher
  inside ``opsbot serve`` and ``opsbot socket``; :mod:`opsbot.runtime` starts
  it), claiming teams with a lease;
- :mod:`~opsbot.watcher.cycle`: one team's poll cycle, recorded in Redis;
- :mod:`~opsbot.watcher.reading`: reading a batch when one of its
  operations cannot be read;
- :mod:`~opsbot.watcher.new_operations`: the subscriptions' new operations,
  one query for all those whose filters allow;
- :mod:`~opsbot.watcher.poster`: delivering the recorded posts to Slack (and
  the one window where a crash can repeat a post);
- :mod:`~opsbot.watcher.intervals`: how often operations are read in full;
- :mod:`~opsbot.watcher.memory`: what a worker remembers to ask only for
  changes (a shortcut, never needed for correctness);
- :mod:`~opsbot.watcher.notes`: what the watcher says in a thread besides steps;
- :mod:`~opsbot.watcher.clients`: the Slack client of each team.
"""
