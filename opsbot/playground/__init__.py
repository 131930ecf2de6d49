"""The playground: opsbot in a local Slack workspace, in the browser, with nothing to set up.

``opsbot playground`` (and ``make run`` without Slack settings) starts the
API simulator with a demo account, the local workspace
(:mod:`opsbot.workspace`) with a team, ``#ops`` and ``#alerts``, an admin
and a plain member, and opsbot wired to both, then serves a page at
``http://127.0.0.1:3000/`` that looks and behaves like a Slack channel:

- :mod:`.world` starts the simulator and the workspace;
- :mod:`.app` adds the page, its API and its live stream to opsbot's
  aiohttp application;
- :mod:`.api` is the page's JSON API (what a person sees and does);
- :mod:`.snapshot` reads what a person sees from the workspace;
- :mod:`.live` pushes the workspace's changes to the page;
- ``static/`` is the page: plain HTML, CSS and JavaScript, no build step.

Production modules never import this package; the runtime starts it.
"""
