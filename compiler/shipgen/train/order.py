"""The promotion order: which environment's releases go before which.

The order is `metadata.promotionOrder` where specs give it (all that do must agree), else
`DEFAULT_ORDER`. Environment names are compared after `SYNONYMS` (`prod` is production, `stage`
is staging, `dev` is development), so `prod` and `production` releases form one stage; the
stage keeps its canonical name. An environment the order does not name is a warning and is put
just before production (or, when the spec says it serves real users, after the last stage).
"""

from __future__ import annotations

from ..diagnostics import ERROR, WARNING, Diagnostic
from .codes import UNORDERED_ENVIRONMENT

DEFAULT_ORDER = ("development", "test", "staging", "production")
SYNONYMS = {"dev": "development", "stage": "staging", "prod": "production"}


def canonical(environment: str) -> str:
    return SYNONYMS.get(environment, environment)


def stage_order(releases, documents) -> tuple[tuple, dict, list]:
    """(the stages in promotion order, release source -> its stage, diagnostics)."""
    diagnostics = []
    order, source = DEFAULT_ORDER, ""
    for release in sorted(releases, key=lambda item: item.source):
        declared = tuple(canonical(name) for name in release.metadata.promotion_order)
        if not declared:
            continue
        problem = _duplicate(release, declared, documents)
        if problem:
            diagnostics.append(problem)
        elif not source:
            order, source = declared, release.source
        elif declared != order:
            diagnostics.append(_located(documents, release, ("metadata", "promotionOrder"), "SG010",
                                        "conflicting-promotion-order",
                                        f"promotion order {', '.join(declared)} differs from {', '.join(order)} "
                                        f"in {source}: the train has one order",
                                        "give every spec the same metadata.promotionOrder (or drop it: the "
                                        f"default is {', '.join(DEFAULT_ORDER)})"))
    stage_of = {release.source: canonical(release.metadata.environment) for release in releases}
    before, after = set(), set()
    for release in sorted(releases, key=lambda item: item.source):
        stage = stage_of[release.source]
        if stage in order:
            continue
        (after if release.metadata.production else before).add(stage)
        place = ("after " + order[-1]) if release.metadata.production else _before_production(order)
        diagnostics.append(_located(documents, release, ("metadata", "environment"), *UNORDERED_ENVIRONMENT,
                                    f"environment {release.metadata.environment!r} is not in the promotion order "
                                    f"({', '.join(order)}): the release train puts it {place}",
                                    "name it in metadata.promotionOrder", severity=WARNING))
    production_at = order.index("production") if "production" in order else len(order)
    stages = order[:production_at] + tuple(sorted(before - after)) + order[production_at:] + tuple(sorted(after))
    present = set(stage_of.values())
    return tuple(stage for stage in stages if stage in present), stage_of, diagnostics


def _before_production(order: tuple) -> str:
    return "before production" if "production" in order else "after " + order[-1]


def _duplicate(release, declared: tuple, documents):
    seen = set()
    for index, name in enumerate(declared):
        if name in seen:
            return _located(documents, release, ("metadata", "promotionOrder", index), "SG010",
                            "conflicting-promotion-order",
                            f"promotion order names {name} twice ({', '.join(release.metadata.promotion_order)}; "
                            "prod, stage and dev are production, staging and development)",
                            "name each environment once")
        seen.add(name)
    return None


def _located(documents, release, path, code, name, message, fix, severity=ERROR) -> Diagnostic:
    position = documents[release.source].locate(path)
    return Diagnostic(code, name, message, release.source, position.line, position.col, severity=severity,
                      spec_path=path, fix=fix)
