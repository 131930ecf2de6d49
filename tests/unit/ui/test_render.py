"""The template environment: every hole escaped for mrkdwn and JSON, unless a filter says so."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st

import opsbot
from opsbot.ui import limits, render
from opsbot.ui.render import environment, escape_mrkdwn
from tests.support.every_surface import template_names

HOSTILE = [
    "<!channel>",
    "<!here|here>",
    "<@U1>",
    "<#C1|general>",
    "<https://evil.example|click me>",
    "&lt; already escaped &amp;",
    'a "quoted" word',
    "back\\slash \\n \\u0041",
    "line one\nline two\ttab\r\n",
    "ünïcødé 公司 😀 \u200b",
    "</script>{{ not a hole }}{% raw %}",
    "\x00\x1f control",
    "\ud800 lone surrogate",
]


def _render_string(source: str, **context: Any) -> Any:
    return json.loads(environment().from_string(source).render(**context))


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hole_is_escaped_for_mrkdwn_inside_a_json_string(value: str) -> None:
    rendered = _render_string('{"text": "before {{ value }} after"}', value=value)
    expected = escape_mrkdwn(value.encode("utf-8", "replace").decode("utf-8"))
    assert rendered == {"text": f"before {expected} after"}
    assert "<" not in rendered["text"]


def test_escaping_is_exactly_the_three_entities() -> None:
    assert escape_mrkdwn("a & b < c > d ' \" *") == "a &amp; b &lt; c &gt; d ' \" *"


@pytest.mark.parametrize("value", HOSTILE)
def test_plain_keeps_the_value_verbatim(value: str) -> None:
    rendered = _render_string('{"value": "{{ value | plain }}"}', value=value)
    assert rendered == {"value": value.encode("utf-8", "replace").decode("utf-8")}


def test_json_filter_dumps_values() -> None:
    rendered = _render_string(
        '{"n": {{ n | json }}, "ids": {{ ids | json }}, "flag": {{ flag | json }}}',
        n=3,
        ids=[1, 2],
        flag=True,
    )
    assert rendered == {"n": 3, "ids": [1, 2], "flag": True}


def test_numbers_print_as_text() -> None:
    assert _render_string('{"t": "#{{ n }} {{ x }}"}', n=123, x=1.5) == {"t": "#123 1.5"}


def test_undefined_names_raise() -> None:
    with pytest.raises(jinja2.UndefinedError):
        environment().from_string('{"t": "{{ missing }}"}').render()


@pytest.mark.parametrize("value", [None, True, {"a": 1}, ["x"]])
def test_values_that_are_not_text_are_refused(value: object) -> None:
    with pytest.raises(TypeError, match="format it to text"):
        environment().from_string('{"t": "{{ value }}"}').render(value=value)


@pytest.mark.parametrize("source", ['"{{ value | clip(5) }}"', '"{{ value | plain }}"'])
def test_filters_refuse_values_that_are_not_text(source: str) -> None:
    with pytest.raises(TypeError, match="it takes text"):
        environment().from_string(source).render(value=None)


def test_ids_are_available_to_templates() -> None:
    assert _render_string('{"a": "{{ ids.ACTION_INFO }}"}') == {"a": "op_info"}


@pytest.mark.parametrize("limit", [5, 10, 50])
def test_clip_fits_the_escaped_text_in_the_limit(limit: int) -> None:
    value = "<!channel> & friends " * 20
    rendered = _render_string('{"t": "{{ value | clip(limit) }}"}', value=value, limit=limit)
    assert limits.slack_length(rendered["t"]) <= limit
    assert rendered["t"].endswith(limits.ELLIPSIS)
    assert "<" not in rendered["t"]


_TEXT = st.text(alphabet=st.sampled_from(list('ab <>&;"\\\n😀')), max_size=80)


@given(value=_TEXT, limit=st.integers(min_value=2, max_value=60))
def test_clip_is_a_prefix_that_fits_once_escaped(value: str, limit: int) -> None:
    rendered = _render_string('{"t": "{{ value | clip(limit) }}"}', value=value, limit=limit)
    assert limits.slack_length(rendered["t"]) <= limit
    if limits.slack_length(escape_mrkdwn(value)) <= limit:
        assert rendered["t"] == escape_mrkdwn(value)
    else:
        kept = rendered["t"].removesuffix(limits.ELLIPSIS)
        assert escape_mrkdwn(value).startswith(kept)


TEMPLATES = Path(__file__).resolve().parents[3] / "templates"


def test_every_template_compiles() -> None:
    names = sorted(template_names())
    assert names
    assert names == sorted(path.name for path in TEMPLATES.glob("*.j2"))
    for name in names:
        environment().get_template(name)


def test_the_package_reads_the_templates_operators_edit() -> None:
    # opsbot/templates is a symlink to the top-level templates/, not a copy.
    packaged = Path(opsbot.__file__).with_name("templates")
    assert packaged.resolve() == TEMPLATES.resolve()


def test_every_surface_template_is_rendered_by_a_builder() -> None:
    builders = Path(render.__file__).parent.glob("*.py")
    builders_source = "\n".join(path.read_text() for path in builders)
    surface_templates = {name for name in template_names() if not name.startswith("_")}
    used = set(re.findall(r'"(\w+\.j2)"', builders_source))
    assert surface_templates == used


def test_a_template_that_does_not_exist_is_an_error() -> None:
    with pytest.raises(jinja2.TemplateNotFound):
        render.render("no_such_surface.j2")
