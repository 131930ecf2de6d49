"""Jinja2 templates (``templates/*.j2``) rendered to Block Kit, safe by construction.

The templates live at the top of the repository, where operators edit them;
``opsbot/templates`` is a symlink to that directory, so the package finds them
the same way in a source checkout, an editable install and an installed wheel
(which carries them as package data; the symlink's files are copied in).

A template is Block Kit JSON with ``{{ expr }}`` holes. Every hole goes through
:func:`_finalize`, which

- escapes the value for mrkdwn (``&``, ``<``, ``>`` become entities), so
  ``<!channel>`` in an API error pings nobody, and
- escapes it as the inside of a JSON string, so a ``"`` or a newline in the
  value cannot end the string or break the document.

Three filters change that for one hole:

- ``| json``: the value is dumped as JSON (a number, a boolean, a list of ids);
  for values our code produced, never for text from the API or a user;
- ``| plain``: JSON-string escaping only, for strings Slack hands back or puts
  in an input verbatim (button and option values, an input's initial value,
  private_metadata), where an entity would change the value itself;
- ``| clip(n)``: shortens the text so that, once escaped, it fits in ``n``
  characters (the "…" stays outside any entity).

Text objects of type ``plain_text`` are escaped like mrkdwn: Slack's formatting
reference asks for ``&``, ``<``, ``>`` to be escaped in every text object, and
shows the entities as the characters.

Shared pieces (an operation's buttons) are ``{% include %}``d rather than
called as macros: an include's output is template text, not a hole, so it is
not escaped a second time. Undefined names raise. Jinja's own HTML autoescape
stays off: it would escape for HTML, which is neither mrkdwn nor JSON.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Final, TypeAlias

import jinja2

from opsbot.ui import ids, limits

# What a builder returns: a message ({"text", "blocks"}) for chat.postMessage
# or a response_url, and a modal (a view) for views.open / views.update.
Message: TypeAlias = dict[str, Any]
Modal: TypeAlias = dict[str, Any]

TEMPLATES_PACKAGE: Final = "opsbot"
TEMPLATES_FOLDER: Final = "templates"

_MRKDWN_ESCAPES: Final = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


class _Json(str):
    """Text that is already valid inside the JSON document: finalize passes it through."""


class TemplateOutputError(ValueError):
    """A template rendered something that is not JSON: a bug in the template."""


def escape_mrkdwn(text: str) -> str:
    """``&``, ``<`` and ``>`` as the entities Slack expects in text."""
    return text.translate(_MRKDWN_ESCAPES)


def render(template_name: str, **context: Any) -> Any:
    """Render ``templates/<template_name>`` and parse the JSON it produced."""
    template = environment().get_template(template_name)
    output = template.render(**context)
    try:
        return json.loads(output)
    except json.JSONDecodeError as error:
        raise TemplateOutputError(
            f"{template_name} rendered invalid JSON: {error.msg} "
            f"(line {error.lineno}, column {error.colno})"
        ) from None


def render_message(template_name: str, **context: Any) -> Message:
    """A message ({"text", "blocks"}) that fits Slack's limits.

    Fitted in place: the object was just parsed from the template's output,
    and nobody else holds it.
    """
    return limits.fit_in_place(
        _as_object(template_name, render(template_name, **context)), "message"
    )


def render_modal(template_name: str, **context: Any) -> Modal:
    """A view for views.open/update that fits Slack's limits."""
    return limits.fit_in_place(_as_object(template_name, render(template_name, **context)), "modal")


def render_home(template_name: str, **context: Any) -> Modal:
    """A Home tab view for views.publish that fits Slack's limits."""
    return limits.fit_in_place(_as_object(template_name, render(template_name, **context)), "home")


def render_options(template_name: str, **context: Any) -> dict[str, Any]:
    """A block_suggestion answer ({"options": [...]}) that fits Slack's limits."""
    return limits.enforce_option_limits(_as_object(template_name, render(template_name, **context)))


def _as_object(template_name: str, rendered: Any) -> dict[str, Any]:
    if not isinstance(rendered, dict):
        raise TemplateOutputError(f"{template_name} must render a JSON object")
    return rendered


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        # Found through the import system, so an installed wheel works as well as a checkout.
        loader=jinja2.PackageLoader(TEMPLATES_PACKAGE, TEMPLATES_FOLDER),
        autoescape=False,  # noqa: S701 - finalize escapes for mrkdwn and JSON, see above
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["json"] = _json_value
    env.filters["plain"] = _plain_string
    env.filters["clip"] = _clip
    env.globals["ids"] = ids
    return env


def _finalize(value: Any) -> str:
    if isinstance(value, _Json):
        return value
    if isinstance(value, jinja2.Undefined):
        return str(value)  # StrictUndefined raises here, naming the missing variable
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        # str(None) or str(a dict) in a message is always a mistake; say where.
        raise TypeError(
            f"a template hole got {type(value).__name__}; format it to text first or use | json"
        )
    return _json_string_body(escape_mrkdwn(str(value)))


def _json_value(value: Any) -> _Json:
    return _Json(json.dumps(value, ensure_ascii=False))


def _plain_string(value: Any) -> _Json:
    if not isinstance(value, str | int):
        raise TypeError(f"| plain got {type(value).__name__}; it takes text")
    return _json_string_body(str(value))


def _clip(value: Any, limit: int) -> str:
    """Shorten text so that its escaped form fits in ``limit`` characters."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"| clip got {type(value).__name__}; it takes text")
    text = str(value)
    escaped = escape_mrkdwn(text)
    if limits.slack_length(escaped) <= limit:
        return text
    return _unescape_mrkdwn(limits.truncate(escaped, limit))


def _unescape_mrkdwn(text: str) -> str:
    # &amp; last, so "&amp;lt;" (a literal "&lt;" in the data) comes back intact.
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _json_string_body(text: str) -> _Json:
    # Lone surrogates cannot be sent as UTF-8; replace them rather than fail later.
    text = text.encode("utf-8", "replace").decode("utf-8")
    return _Json(json.dumps(text, ensure_ascii=False)[1:-1])
