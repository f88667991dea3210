"""Facts: analysis that policies and targets share, computed once per release.

`compute_facts(release)` returns a `Facts` value from the release alone (pure): the migration
statements classified (`migrations.py`), the rollout numbers (`rollout.py`) read from the
controller's rollout model, and the simulated plan (`plan.py`). `as_dict()` is what policies
see as `input.facts`, next to the normalized spec.

`run_facts(...)` adds what depends on the whole run rather than on one release: the
`dependsOn` graph across the specs given (`dependencies.py`), the age of the last rollback drill
(dates are computed here, in Python: regopy cannot parse RFC 3339 dates ending in `Z`), and the
migration files changed against a git base (`vcs.py`).
"""

from __future__ import annotations

import datetime
from types import MappingProxyType
from typing import NamedTuple

from ..model import Release

# Value types are NamedTuples, not dataclasses: a dataclass costs ~1 ms of every run's start-up.


class Facts(NamedTuple):
    release: str  # the release's name, so facts can be told apart in logs
    migrations: object  # MigrationReport, or None without database.migrations
    rollout: dict
    analysis: dict
    slos: list
    health: dict
    draining: dict
    disruption: dict
    manual: dict
    plan: dict

    def as_dict(self) -> dict:
        return {
            "migrations": self.migrations.as_dict() if self.migrations is not None else None,
            "rollout": self.rollout,
            "analysis": self.analysis,
            "slos": self.slos,
            "health": self.health,
            "draining": self.draining,
            "disruption": self.disruption,
            "manual": self.manual,
            "plan": self.plan,
        }


def compute_facts(release: Release) -> Facts:
    from ..targets import rollout_of
    from . import plan, rollout

    model = rollout_of(release)
    return Facts(
        release=release.name,
        migrations=migration_report(release),
        rollout=rollout.rollout_facts(release, model),
        analysis=rollout.analysis_facts(release),
        slos=rollout.slo_facts(release),
        health=rollout.health_facts(release),
        draining=rollout.draining_facts(release),
        disruption=rollout.disruption_facts(release),
        manual=rollout.manual_facts(release),
        plan=plan.plan_facts(release, model),
    )


def migration_report(release: Release):
    migrations = release.database.migrations
    if migrations is None:
        return None
    from .migrations import classify_files

    return classify_files(migrations.files, migrations.dialect)


class RunContext(NamedTuple):
    """What a lint run knows beyond the releases: the date, and the files changed against a base."""

    today: datetime.date
    base: str | None = None  # the git ref migrations are compared with
    changes: dict = MappingProxyType({})  # release source -> its migration files changed against base


def run_facts(release: Release, facts: Facts, context: RunContext, dependencies: dict) -> dict:
    """`input.facts` for one release in one run."""
    result = facts.as_dict()
    result["dependencies"] = dependencies.get(release.source, {"graph_size": 1, "dependencies": []})
    result["rollback"] = rollback_facts(release, context.today)
    result["schema"] = schema_facts(release, facts, context)
    migrations = release.database.migrations
    if migrations is not None and context.base:
        # only the migrations this change adds or edits ship with the release
        from .migrations import classify_files

        changed = set(result["schema"]["changed_files"])
        shipped = [(path, text) for path, text in migrations.files if path in changed]
        result["migrations"] = classify_files(shipped, migrations.dialect).as_dict()
    return result


def rollback_facts(release: Release, today: datetime.date) -> dict:
    """The last rollback drill: its date, how many days ago, and the test step."""
    last = release.rollback.last_tested
    age = None
    if last:
        try:
            age = (today - datetime.date.fromisoformat(last)).days
        except ValueError:
            age = None
    return {"last_tested": last or "", "dated": age is not None, "age_days": age if age is not None else 0,
            "in_future": age is not None and age < 0, "test_step": release.rollback.test_step,
            "today": today.isoformat()}


def schema_facts(release: Release, facts: Facts, context: RunContext) -> dict:
    """Whether the schema changes with this release, and whether the release says how."""
    from .vcs import changed_migration_files

    migrations = release.database.migrations
    declared_version = release.database.schema_version
    newest = facts.migrations.newest_version if facts.migrations is not None else ""
    changed = changed_migration_files(release, context)
    declared_folder = migrations.path if migrations else None
    newer_than_migrations = False
    if declared_version and newest:
        from .migrations import version_of

        wanted, have = version_of(f"{declared_version}_"), version_of(f"{newest}_")
        newer_than_migrations = wanted is not None and have is not None and wanted > have
    return {
        "base": context.base,
        "declared_migrations": migrations is not None,
        "declared_folder": declared_folder,
        "declared_version": declared_version,
        "newest_migration_version": newest,
        "version_newer_than_migrations": newer_than_migrations,
        "changed_files": changed["all"],
        "changed_text": _listing(changed["all"]),
        "changed_outside_text": _listing(changed["outside"]),
        "changed_outside_declared_folder": changed["outside"],
        "phase": migrations.phase if migrations else None,
    }


def _listing(paths, shown: int = 3) -> str:
    """`a.sql, b.sql and 2 more`: file lists for messages (Rego's concat output misbehaves in sprintf)."""
    paths = list(paths)
    text = ", ".join(paths[:shown])
    return f"{text} and {len(paths) - shown} more" if len(paths) > shown else text
