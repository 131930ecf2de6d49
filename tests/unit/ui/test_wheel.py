"""The built wheel carries the templates: installed on its own, it renders every surface.

The wheel is built from a copy of the sources, installed into a scratch
directory, and imported there by a fresh interpreter in isolated mode whose
path holds that directory and the virtual environment's dependencies, never
the source tree: a template missing from the wheel is a TemplateNotFound.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from opsbot.ui import render
from tests.support import every_surface

ROOT = Path(__file__).resolve().parents[3]
SAMPLER = Path(every_surface.__file__)
# What the build needs from the checkout; the rest (tests, .venv) stays out.
SOURCES = ("pyproject.toml", "README.md", "opsbot", "templates")

# Run by the installed interpreter: argv = [site, sampler]. Prints what it saw as JSON.
_DRAW_FROM_THE_WHEEL = """
import json, runpy, sys
site, sampler = sys.argv[1], sys.argv[2]
sys.path.insert(0, site)
import opsbot
from opsbot.ui import render
drawn = []
draw = render.render
def recording(name, **context):
    drawn.append(name)
    return draw(name, **context)
render.render = recording
sampler = runpy.run_path(sampler)
names = sampler["template_names"]()
for name in names:
    render.environment().get_template(name)
sampler["draw_every_surface"]()
print(json.dumps({"package": opsbot.__file__, "templates": names, "drawn": drawn}))
"""


def _surface_templates() -> set[str]:
    return {name for name in every_surface.template_names() if not name.startswith("_")}


def test_the_sampler_draws_every_surface_template(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[str] = []
    draw = render.render

    def recording(name: str, **context: Any) -> Any:
        drawn.append(name)
        return draw(name, **context)

    monkeypatch.setattr(render, "render", recording)
    every_surface.draw_every_surface()
    assert set(drawn) == _surface_templates()


@pytest.mark.slow
def test_an_installed_wheel_renders_every_template(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    site = tmp_path / "site"
    _pip("install", "--no-deps", "--no-compile", "--target", str(site), str(wheel))
    assert (site / "opsbot" / "templates" / "help.j2").is_file()

    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTHON")}
    finished = subprocess.run(
        [sys.executable, "-I", "-c", _DRAW_FROM_THE_WHEEL, str(site), str(SAMPLER)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    seen = json.loads(finished.stdout)
    assert Path(seen["package"]).is_relative_to(site)
    assert sorted(seen["templates"]) == sorted(every_surface.template_names())
    assert set(seen["drawn"]) == _surface_templates()


def _build_wheel(tmp_path: Path) -> Path:
    """A wheel built from a copy of the sources, so the build leaves nothing in the checkout."""
    sources = tmp_path / "src"
    sources.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
            shutil.copytree(path, sources / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(path, sources / name)
    dist = tmp_path / "dist"
    _pip("wheel", "--no-deps", "--wheel-dir", str(dist), str(sources))
    [wheel] = dist.glob("opsbot-*.whl")
    return wheel


def _pip(*args: str) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
