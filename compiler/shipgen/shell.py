"""Shell quoting for generated commands and scripts: every value from a spec goes through it.

One function per context: `quote` for a word, `command` for a command line, `comment` for a
comment line (a spec value in a comment must not end the comment with a line break).
"""

import shlex


def quote(value) -> str:
    return shlex.quote(str(value))


def command(*words) -> str:
    """A command line from words, each quoted unless it is already safe as it stands."""
    return " ".join(quote(word) for word in words)


def comment(text) -> str:
    """`# text` on one line: line breaks and other control characters become spaces."""
    one_line = " ".join("".join(c if c.isprintable() else " " for c in str(text)).split())
    return f"# {one_line}"
