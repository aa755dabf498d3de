"""Griffe extension for the documentation site: read our reST-flavoured docstrings as Markdown.

The library's docstrings are Google style with three reST habits that Markdown does not know, so
mkdocstrings would render them badly (``mkdocs build --strict`` even fails on the first):

* bare doctests (``>>> ...`` lines and their output): Markdown reads ``>`` as a quote and
  ``x["a"][0]`` as a link reference. Each doctest block becomes a ``pycon`` code fence (blocks in
  a Google ``Examples:`` section are left to griffe, which already does this).
* Sphinx roles (``:class:`~expansion_revenue.money.Money```): each becomes inline code that links
  to the documented object when there is one (an *optional* autorefs cross-reference, so a target
  that is not documented is plain code, not a warning). Unqualified names are looked up the way
  Python would: in the class, then in the module (following imports).
* ``#:`` comments above module and class attributes (Sphinx's attribute docs): they become the
  attribute's docstring. A ``text::`` paragraph before a literal block becomes ``text:``.

Configured in mkdocs.yml (``extensions:`` of the python handler); needs only griffe, which the
``docs`` extra brings. It changes the docs build only, never the package.
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

_DOCTEST = re.compile(r"^(?P<indent>\s*)>>>(?: |$)")
_FENCE = re.compile(r"^\s*(```|~~~)")
_EXAMPLES = re.compile(r"^(?P<indent>\s*)Examples?:\s*$")
_ROLE = re.compile(
    r":(?:py:)?(?:class|func|meth|mod|attr|data|exc|obj|const|type):`(?P<body>[^`]+)`"
)
_EXPLICIT_TITLE = re.compile(r"^(?P<title>.+?)\s*<(?P<target>[^<>]+)>$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def fence_doctests(text: str) -> str:
    """Wrap every bare doctest block (up to the next blank line) in a ``pycon`` code fence."""
    lines = text.splitlines()
    out: list[str] = []
    in_fence = False
    examples_indent: int | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip() and examples_indent is not None and _indent(line) <= examples_indent:
            examples_indent = None
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and (m := _EXAMPLES.match(line)):
            examples_indent = len(m["indent"])
        elif not in_fence and examples_indent is None and (m := _DOCTEST.match(line)):
            indent = m["indent"]
            block = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i])
                i += 1
            if out and out[-1].strip():
                out.append("")
            out += [f"{indent}```pycon", *block, f"{indent}```", ""]
            continue
        if (not in_fence and line.rstrip().endswith("::") and line.strip() != "::"
                and _literal_follows(lines, i)):
            line = line.rstrip()[:-1]
        out.append(line)
        i += 1
    return "\n".join(out)


def _literal_follows(lines: list[str], i: int) -> bool:
    base = _indent(lines[i])
    for later in lines[i + 1:]:
        if later.strip():
            return _indent(later) > base
    return False


def _lookup(scope: griffe.Object | griffe.Alias | None, dotted: str) -> str | None:
    """The documented path of ``dotted`` as seen from ``scope`` (class, then module, ...)."""
    head, _, rest = dotted.partition(".")
    while scope is not None:
        member = scope.members.get(head) if hasattr(scope, "members") else None
        if member is not None:
            path = member.target_path if isinstance(member, griffe.Alias) else member.path
            return f"{path}.{rest}" if rest else path
        scope = scope.parent
    return None


def convert_roles(text: str, obj: griffe.Object) -> str:
    """Turn Sphinx roles into inline code with an optional cross-reference."""

    def replace(match: re.Match[str]) -> str:
        body = match["body"].strip()
        title = None
        if explicit := _EXPLICIT_TITLE.match(body):
            title, body = explicit["title"], explicit["target"]
        short = body.startswith("~")
        target = body.lstrip("~.!")
        if title is None:
            title = target.rsplit(".", 1)[-1] if short else target
        name = target.removesuffix("()")
        if name.startswith("expansion_revenue"):
            identifier = name
        else:
            identifier = _lookup(obj if obj.is_class or obj.is_module else obj.parent, name) or name
        return (f'<code><autoref identifier="{html.escape(identifier)}" optional>'
                f"{html.escape(title)}</autoref></code>")

    return _ROLE.sub(replace, text)


def _attribute_comment(attr: griffe.Attribute) -> str | None:
    """The ``#:`` comment lines right above an attribute, if any."""
    if attr.lineno is None:
        return None
    try:
        lines = attr.module.lines
    except (AttributeError, ValueError):
        return None
    comment: list[str] = []
    i = attr.lineno - 2
    while i >= 0 and lines[i].lstrip().startswith("#:"):
        comment.insert(0, lines[i].lstrip()[2:].removeprefix(" "))
        i -= 1
    return "\n".join(comment) or None


class MarkdownDocstrings(griffe.Extension):
    """Rewrite docstrings once the package is loaded (see the module docstring)."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Rewrite every docstring of the package."""
        seen: set[str] = set()
        stack: list[griffe.Object] = [pkg]
        while stack:
            obj = stack.pop()
            if obj.path in seen:
                continue
            seen.add(obj.path)
            if isinstance(obj, griffe.Attribute) and obj.docstring is None:
                comment = _attribute_comment(obj)
                if comment:
                    obj.docstring = griffe.Docstring(comment, lineno=obj.lineno, parent=obj)
            if obj.docstring is not None:
                obj.docstring.value = convert_roles(fence_doctests(obj.docstring.value), obj)
            stack += [m for m in obj.members.values() if not isinstance(m, griffe.Alias)]
