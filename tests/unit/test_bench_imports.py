"""Benchmarks may borrow test helpers, but only those meant for it: tests/support."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def imported_modules(path: Path) -> list[str]:
    modules = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.append(node.module)
    return modules


@pytest.mark.parametrize("script", sorted(BENCH.glob("*.py")), ids=lambda path: path.name)
def test_a_benchmark_imports_nothing_from_tests_but_tests_support(script: Path) -> None:
    from_tests = [name for name in imported_modules(script) if name.split(".")[0] == "tests"]
    assert [name for name in from_tests if not name.startswith("tests.support.")] == []
