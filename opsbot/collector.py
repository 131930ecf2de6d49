"""The garbage collector's settings for a process that runs for days.

Python's cyclic collector walks every container object it tracks: at its
default pace (a young collection every 700 new objects, a full one every
hundred of those) a worker spent about 6 % of its CPU there, most of it
walking what start-up made and never frees (modules, templates, settings,
clients). Once a process has started, :func:`settle` moves those objects out
of the collector's sight (``gc.freeze``) and lets young collections come
every 10,000 objects: the cyclic garbage of a team pass (futures, tasks,
exceptions) is still collected, in fewer and larger rounds, and the
collector's share falls under 1 % (bench/scale.py; README, "Scaling out").
Reference counting, which frees nearly everything, is untouched.
"""

from __future__ import annotations

import gc
from typing import Final

# Young objects between collections, then young collections between the
# older generations' ones.
THRESHOLDS: Final = (10_000, 20, 20)


def settle() -> None:
    """Call once start-up is done: what exists now stays out of the collector's walks."""
    gc.collect()  # what start-up left as garbage goes now, not frozen for good
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
