"""Jinja2 for documents people read (runbooks, summaries): sandboxed, StrictUndefined.

Machine-read artifacts never go through here. Filters escape spec text for Markdown so that
a description cannot turn into headings, links or broken tables.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .durations import human
from .resources import data_dir

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def markdown_text(value) -> str:
    """Spec text as literal Markdown on one line: special characters escaped, lines joined."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def markdown_code(value) -> str:
    """Inline code that holds any text: the fence is longer than any run of backticks in it."""
    text = " ".join(str(value).splitlines())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def table_cell(value) -> str:
    """Inline code safe inside a Markdown table cell: pipes escaped, as GFM requires."""
    return markdown_code(value).replace("|", "\\|")


def code_block(value, language: str = "sh") -> str:
    """A fenced block longer than any run of backticks in the text."""
    text = str(value)
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=2)
    fence = "`" * (longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    environment = SandboxedEnvironment(loader=FileSystemLoader(str(data_dir("templates"))), undefined=StrictUndefined,
                                       autoescape=False, keep_trailing_newline=True, trim_blocks=True,
                                       lstrip_blocks=True)
    environment.filters.update(md=markdown_text, code=markdown_code, cell=table_cell, block=code_block, duration=human)
    return environment


def render_template(name: str, **context) -> str:
    return _environment().get_template(name).render(**context)
