"""Every production module has a place in the import contracts of pyproject.toml.

import-linter checks only the modules a contract names: a new top-level
module left out of the layers would be free to import anything.
"""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path
from typing import Any, Final

import opsbot

PYPROJECT: Final = Path(__file__).resolve().parents[2] / "pyproject.toml"
# Separate programs: contracts keep production code from importing them.
PROGRAMS: Final = {"opsbot.simulator", "opsbot.workspace"}
# What starts them: the command line, the runtime's process shapes and the playground.
STARTERS: Final = {"opsbot.cli", "opsbot.runtime", "opsbot.playground"}


def contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    return {contract["id"]: contract for contract in config["tool"]["importlinter"]["contracts"]}


def production_modules() -> set[str]:
    found = {f"opsbot.{module.name}" for module in pkgutil.iter_modules(opsbot.__path__)}
    return found - PROGRAMS


def test_every_production_module_sits_in_a_layer() -> None:
    layers = contracts()["layers"]["layers"]
    layered = {name.strip() for layer in layers for name in layer.replace(":", "|").split("|")}
    assert layered == production_modules()


def test_no_production_module_may_import_the_separate_programs() -> None:
    separate = contracts()["separate-programs"]
    assert set(separate["forbidden_modules"]) == PROGRAMS
    assert set(separate["source_modules"]) == production_modules() - STARTERS
