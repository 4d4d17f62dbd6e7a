"""Message templates: parsing, checking and rendering (pure: no database, web or file I/O).

A template is a TOML text:

    name = "renewal_reminder"
    audience = "client"            # client (gets an unsubscribe link) or internal
    description = "Ninety days before the renewal."
    variables = ["survey_url"]     # extra variables the caller passes, beyond the standard ones
    subject = "Your {{ account.name }} renewal on {{ account.renewal_date }}"
    text = \"\"\"
    Hello {{ contact.first_name }}, ...
    \"\"\"
    html = \"\"\"
    <p>Hello {{ contact.first_name }}, ...</p>
    \"\"\"

Subject, text and HTML are Jinja2, rendered in a sandbox (no attribute of Python internals,
no file or import). The HTML part escapes every value; the subject and text parts are plain
text. Every name a template uses must be a standard variable (`STANDARD`, with the fields
listed there) or one it declares in `variables`: anything else is refused when the template is
loaded, as `FILE:LINE: name: why`, never when a message is sent.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from tenure.kit.errors import TenureError
from tenure.kit.toml_lines import key_lines

AUDIENCES = ("client", "internal")
PARTS = ("subject", "text", "html")

# The standard variables and their fields. None: a mapping whose keys are data (usage metric
# names, an account's own attributes), so any key is accepted.
STANDARD: dict[str, frozenset[str] | None] = {
    "account": frozenset(
        {
            "external_id",
            "name",
            "tier",
            "segment",
            "industry",
            "lifecycle_stage",
            "customer_since",
            "arr",
            "arr_text",
            "currency",
            "renewal_date",
            "renewal_months",
            "attributes",
            "url",
        }
    ),
    "contact": frozenset(
        {"name", "first_name", "email", "title", "seniority", "is_sponsor", "external_id"}
    ),
    "csm": frozenset({"name", "first_name", "email"}),
    "sender": frozenset({"name", "first_name", "email"}),
    "health": frozenset({"score", "band", "trend", "date"}),
    "usage": None,
    "signal": frozenset({"name", "reason"}),
    "today": frozenset(),
    "unsubscribe_url": frozenset(),
}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")


@dataclass(frozen=True)
class TemplateDef:
    """A checked template, ready to store and render."""

    name: str
    audience: str
    description: str
    subject: str
    text: str
    html: str
    variables: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def environment() -> SandboxedEnvironment:
    """The sandbox every template renders in; autoescape decided per part by `render`."""
    env = SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )
    env.filters["thousands"] = lambda value: (
        f"{value:,}" if isinstance(value, int | float) else value
    )
    return env


_ENV = environment()
_HTML_ENV = SandboxedEnvironment(
    undefined=StrictUndefined, autoescape=True, keep_trailing_newline=True
)
_HTML_ENV.filters.update(_ENV.filters)


def parse(source: str, filename: str) -> TemplateDef:
    """A template from its TOML text, every problem listed as `FILE:LINE: name: why`."""
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        raise TenureError(f"{filename}: not valid TOML: {error}") from None
    lines = key_lines(source)
    problems: list[str] = []

    def where(key: str) -> str:
        return f"{filename}:{lines.get((key,), 1)}"

    def text(key: str, required: bool = True) -> str:
        value = data.get(key)
        if value is None:
            if required:
                problems.append(f"{filename}:1: {key}: missing")
            return ""
        if not isinstance(value, str):
            problems.append(f"{where(key)}: {key}: must be a string")
            return ""
        return value

    name = text("name")
    if name and not _NAME.match(name):
        problems.append(f"{where('name')}: name: {name!r}: use lower_case letters, digits, _")
    audience = text("audience")
    if audience and audience not in AUDIENCES:
        problems.append(f"{where('audience')}: audience: {audience!r}: use client or internal")
    declared_raw = data.get("variables", [])
    declared: list[str] = []
    if not isinstance(declared_raw, list) or not all(isinstance(v, str) for v in declared_raw):
        problems.append(f"{where('variables')}: variables: must be a list of names")
    else:
        for value in declared_raw:
            if value in STANDARD:
                problems.append(f"{where('variables')}: {value}: already a standard variable")
            elif not _NAME.match(value):
                problems.append(f"{where('variables')}: {value}: not a variable name")
            declared.append(value)
    unknown_keys = set(data) - {"name", "audience", "description", "variables", *PARTS}
    for key in sorted(unknown_keys):
        problems.append(f"{where(key)}: {key}: unknown key")
    parts = {part: text(part) for part in PARTS}
    for part, body in parts.items():
        if body:
            problems.extend(check(body, _offset(source, lines, part), filename, declared, part))
    if "\n" in parts["subject"].strip():
        problems.append(f"{where('subject')}: subject: must be one line")
    if problems:
        raise TenureError(f"{filename}: template refused", problems=problems)
    return TemplateDef(
        name=name,
        audience=audience,
        description=text("description", required=False),
        subject=parts["subject"],
        text=parts["text"],
        html=parts["html"],
        variables=tuple(declared),
    )


def _offset(source: str, lines: dict[tuple[str | int, ...], int], key: str) -> int:
    """File line of the first line of a string value (a multi-line string drops the newline
    right after its opening quotes, so its text starts one line down)."""
    line = lines.get((key,), 1)
    raw = source.splitlines()[line - 1] if line - 1 < len(source.splitlines()) else ""
    after = raw.split("=", 1)[1].strip() if "=" in raw else ""
    return line + 1 if after in ('"""', "'''") else line


def check(body: str, first_line: int, filename: str, declared: list[str], part: str) -> list[str]:
    """Problems of one part: syntax, unknown variables, unknown fields of known ones."""
    try:
        ast = _ENV.parse(body)
    except TemplateSyntaxError as error:
        line = first_line + (error.lineno or 1) - 1
        return [f"{filename}:{line}: {part}: {error.message}"]
    problems: list[str] = []
    allowed = set(STANDARD) | set(declared)
    for name in sorted(meta.find_undeclared_variables(ast) - allowed):
        found = next(n for n in ast.find_all(nodes.Name) if n.name == name)
        line = first_line + found.lineno - 1
        problems.append(
            f"{filename}:{line}: {name}: unknown variable (standard: "
            f"{', '.join(sorted(STANDARD))}; declare others in `variables`)"
        )
    for node in ast.find_all(nodes.Getattr):
        if not isinstance(node.node, nodes.Name) or node.node.name not in STANDARD:
            continue
        fields = STANDARD[node.node.name]
        if fields is not None and node.attr not in fields:
            line = first_line + node.lineno - 1
            listed = ", ".join(sorted(fields)) or "none: use it as a value"
            problems.append(
                f"{filename}:{line}: {node.node.name}.{node.attr}: unknown field (fields: {listed})"
            )
    return problems


def render(template: TemplateDef, variables: dict[str, Any]) -> Rendered:
    """The three parts for one recipient; HTML escapes every value. `variables` must hold
    every standard variable and every declared one."""
    missing = [v for v in template.variables if v not in variables]
    if missing:
        raise TenureError(
            f"template {template.name}: missing variables {', '.join(missing)} (the caller "
            "passes them)"
        )
    try:
        subject = _ENV.from_string(template.subject).render(variables)
        text = _ENV.from_string(template.text).render(variables)
        html = _HTML_ENV.from_string(template.html).render(variables)
    except Exception as error:  # a sandbox refusal or an undefined value: name the template
        raise TenureError(f"template {template.name}: cannot render: {error}") from None
    # A header is one line: a newline in data must never start a header of its own.
    return Rendered(" ".join(subject.split()), text.strip() + "\n", html.strip() + "\n")
