"""The runbook: one Markdown page per release that a tired person can follow.

Says how to deploy, how to tell it is healthy (the exact signals and thresholds), when and how
to roll back (the criteria and the exact commands), the database steps and who owns the
service. The steps come from the delivery target's `Procedure`; the page is the Jinja2
template `templates/runbook.md.j2`, rendered sandboxed with StrictUndefined.
"""

from __future__ import annotations

import posixpath

from ..artifacts import MARKDOWN, Artifact
from ..durations import human
from ..model import Gate, Release
from ..shell import command, quote
from ..templating import render_template

NAME = "runbook"

MIGRATION_COMMANDS = {
    "flyway": lambda path, dialect: command("flyway", f"-locations=filesystem:{path}", "migrate"),
    "liquibase": lambda path, dialect: command("liquibase", f"--search-path={path}", "update"),
    "alembic": lambda path, dialect: f"(cd {quote(path)} && alembic upgrade head)",
    "golang-migrate": lambda path, dialect: command("migrate", "-path", path, "-database") + ' "$DATABASE_URL" up',
    "sqitch": lambda path, dialect: f"(cd {quote(path)} && sqitch deploy)",
    "rails": lambda path, dialect: "bin/rails db:migrate",
    "django": lambda path, dialect: "python manage.py migrate",
    "prisma": lambda path, dialect: "npx prisma migrate deploy",
    "sql": lambda path, dialect: _plain_sql_command(path, dialect),
}


def _plain_sql_command(path: str, dialect: str) -> str:
    client = {"postgres": 'psql "$DATABASE_URL" --set ON_ERROR_STOP=1 --file "$file"',
              "mysql": 'mysql --database="$DATABASE_NAME" < "$file"',
              "sqlite": 'sqlite3 "$DATABASE_FILE" < "$file"'}.get(dialect, '<your SQL client> "$file"')
    return f"for file in {quote(path)}/*.sql; do {client} || break; done"


def applies(release: Release) -> bool:
    return True


def render(release: Release, facts) -> list:
    from ..rollout.plan import DEFAULT_SCENARIOS, summary
    from ..rollout.simulate import simulate
    from . import delivery_target, rollout_of
    from .flags import runbook_views

    target = delivery_target(release)
    procedure = target.procedure(release, facts)
    rollout = rollout_of(release)
    timing = summary(tuple(simulate(rollout, scenario) for scenario in DEFAULT_SCENARIOS))
    text = render_template("runbook.md.j2", release=release, procedure=procedure, facts=facts, timing=timing,
                           gates=[gate_view(release, gate, target, rollout) for gate in release.gates],
                           migration=migration_view(release), smoke=smoke_view(release, target),
                           settings=effective_settings(release), dashboard=dashboard_path(release),
                           monitoring=monitoring_steps(release),
                           flags=runbook_views(release))
    return [Artifact("RUNBOOK.md", text, MARKDOWN)]


def monitoring_steps(release: Release) -> list:
    """How to create the cloud's own dashboard and alerts, from each supporting target that
    emits them (`runbook_steps(release)`), when it applies."""
    from . import supporting_targets

    steps = []
    for target in supporting_targets():
        hook = getattr(target, "runbook_steps", None)
        if hook is not None and target.applies(release):
            steps.extend(hook(release))
    return steps


def dashboard_path(release: Release):
    """The Grafana dashboard's path in the release folder, when one is generated."""
    from . import grafana

    return f"{release.output_dir}/grafana/dashboard.json" if grafana.applies(release) else None


def gate_view(release: Release, gate: Gate, target=None, rollout=None) -> dict:
    """A gate as the runbook shows it; a delivery target may say which pods its queries judge
    (`gate_query_target(release)` -> `gate_query` keywords, e.g. Flagger's canary). What measures
    it and whether it rolls back by itself come from the rollout model's checks."""
    from ..queries import gate_query, threshold_text
    from ..rollout.model import ROLLBACK

    checks = [check for check in (rollout.checks if rollout else ()) if gate.name in check.judges]
    acting = [check for check in checks if check.on_failure == ROLLBACK]
    if acting:
        automatic = "yes, by itself"
    elif gate.name in release.rollback.on:
        automatic = "no: a person rolls back (rollback.on)"
    else:
        automatic = "no"

    selects = getattr(target, "gate_query_target", None)
    query = gate_query(release, gate, **(selects(release) if selects else {}))
    what = {"error-rate": "share of requests answered 5xx (0-1)",
            "latency": f"p{gate.percentile:g} response time in ms"}.get(gate.metric, "custom query")
    return {"name": gate.name, "what": what, "measured_by": (acting or checks)[0].measured_by if checks
            else f"{gate.provider}, not evaluated by the controller", "query": query,
            "threshold": threshold_text(gate), "window": human(gate.window_s),
            "triggers_rollback": gate.name in release.rollback.on, "rolls_back": automatic}


def migration_view(release: Release):
    migrations = release.database.migrations
    if migrations is None:
        return None
    folder = posixpath.dirname(release.source)
    path = posixpath.normpath(posixpath.join(folder, migrations.path)) if folder else migrations.path
    return {"tool": migrations.tool, "dialect": migrations.dialect, "phase": migrations.phase, "path": path,
            "command": MIGRATION_COMMANDS[migrations.tool](path, migrations.dialect),
            "files": [name for name, _ in migrations.files]}


def smoke_view(release: Release, target=None) -> list:
    """Smoke tests as commands; a delivery target may name the host that reaches the new version
    (`smoke_host(release)`, e.g. Flagger's `<name>-canary` Service)."""
    tests = []
    port = release.service.main_port
    smoke_host = getattr(target, "smoke_host", None)
    host = smoke_host(release) if smoke_host else f"{release.name}.{release.namespace}.svc.cluster.local"
    own_command = getattr(target, "smoke_command", None)  # (release, test) -> (command, expect), e.g. cloud URLs
    for test in release.smoke:
        if own_command is not None:
            how, expect = own_command(release, test)
        elif test.http_path is not None and port is not None:
            url = f"http://{host}:{port.service_port}{test.http_path}"
            how = command("curl", "--silent", "--output", "/dev/null", "--write-out", "%{http_code}\\n",
                          "--max-time", str(test.timeout_s), "--request", test.method, url)
            expect = f"prints {test.expect}"
        else:
            how = command(*test.command)
            expect = "exits 0"
        tests.append({"name": test.name, "command": how, "expect": expect})
    return tests


def effective_settings(release: Release) -> list:
    return [{"field": field, "value": _setting_text(value)} for field, value in release.defaults]


def _setting_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(str(item) for item in value) + "]"
    return str(value)
