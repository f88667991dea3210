"""Shell quoting for generated commands and scripts: every value from a spec goes through it."""

import shlex


def quote(value) -> str:
    return shlex.quote(str(value))


def command(*words) -> str:
    """A command line from words, each quoted unless it is already safe as it stands."""
    return " ".join(quote(word) for word in words)
