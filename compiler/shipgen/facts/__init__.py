"""Facts: analysis that policies and targets share, computed once per release.

`compute_facts(release)` returns a `Facts` value; `as_dict()` is what policies see next to
the normalized spec.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Release


@dataclass(frozen=True)
class Facts:
    release: str  # the release's name, so facts can be told apart in logs

    def as_dict(self) -> dict:
        return {}


def compute_facts(release: Release) -> Facts:
    return Facts(release.name)
