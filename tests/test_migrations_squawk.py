"""The unsafe-migration classifier agrees with squawk (`pip install squawk-cli`) on a corpus of
real-world-style PostgreSQL migrations, wherever both cover the operation.

Each snippet is linted by squawk in a file of its own (so no snippet sees another's tables) and
classified by `shipgen.facts.migrations`. Both sides are reduced to squawk's rule names for the
operations shipgen classifies (`SQUAWK_RULE`); squawk's other rules (timeouts, robust
statements, type preferences, enum ordering, ...) are not about what a rollout breaks or locks
and are left out. The deliberate disagreements are listed, with the reason, in `DISAGREEMENTS`.
The comparison is skipped when the squawk binary is missing (the `test` extra installs it).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shipgen.facts.migrations import CATALOGUE, classify_sql

CORPUS = [
    ("drop-column-django", 'ALTER TABLE "users" DROP COLUMN "email" CASCADE;'),
    ("drop-column-if-exists", "ALTER TABLE accounts DROP COLUMN IF EXISTS legacy_id;"),
    ("drop-table-django", 'DROP TABLE "core_recipe" CASCADE;'),
    ("drop-two-tables", "DROP TABLE IF EXISTS audit_log_2019, audit_log_2020;"),
    ("drop-database", "DROP DATABASE analytics;"),
    ("drop-schema", "DROP SCHEMA reporting CASCADE;"),
    ("rename-column", 'ALTER TABLE "core_recipe" RENAME COLUMN "title" TO "name";'),
    ("rename-table", "ALTER TABLE orders RENAME TO purchase_orders;"),
    ("rename-enum-value", "ALTER TYPE order_status RENAME VALUE 'shipped' TO 'dispatched';"),
    ("change-type", 'ALTER TABLE "app_user" ALTER COLUMN "age" TYPE bigint USING "age"::bigint;'),
    ("change-type-set-data", "ALTER TABLE invoices ALTER COLUMN amount SET DATA TYPE numeric(12, 2);"),
    ("add-required", 'ALTER TABLE "core_recipe" ADD COLUMN "servings" integer NOT NULL;'),
    ("add-not-null-with-default", "ALTER TABLE products ADD COLUMN sku varchar(64) DEFAULT '' NOT NULL;"),
    ("set-not-null", 'ALTER TABLE "core_recipe" ALTER COLUMN "title" SET NOT NULL;'),
    ("drop-not-null", "ALTER TABLE users ALTER COLUMN nickname DROP NOT NULL;"),
    ("truncate-cascade", "TRUNCATE TABLE sessions CASCADE;"),
    ("truncate", "TRUNCATE sessions;"),
    ("create-index", 'CREATE INDEX "core_recipe_title_idx" ON "core_recipe" ("title");'),
    ("create-unique-index-expression", "CREATE UNIQUE INDEX users_email_key ON users (lower(email));"),
    ("create-index-concurrently", "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_created_idx ON orders (created_at);"),
    ("drop-index", "DROP INDEX orders_status_idx;"),
    ("drop-index-concurrently", "DROP INDEX CONCURRENTLY IF EXISTS orders_status_idx;"),
    ("reindex", "REINDEX INDEX orders_pkey;"),
    ("reindex-concurrently", "REINDEX INDEX CONCURRENTLY orders_pkey;"),
    ("add-foreign-key", 'ALTER TABLE "order_item" ADD CONSTRAINT "order_item_order_fk" FOREIGN KEY ("order_id") '
                        'REFERENCES "order" ("id") DEFERRABLE INITIALLY DEFERRED;'),
    ("add-foreign-key-not-valid", "ALTER TABLE order_item ADD CONSTRAINT order_item_order_fk FOREIGN KEY (order_id) "
                                  "REFERENCES orders (id) NOT VALID;"),
    ("add-column-references", "ALTER TABLE order_item ADD COLUMN order_id bigint REFERENCES orders (id);"),
    ("validate-constraint", "ALTER TABLE order_item VALIDATE CONSTRAINT order_item_order_fk;"),
    ("add-check", "ALTER TABLE accounts ADD CONSTRAINT positive_balance CHECK (balance >= 0);"),
    ("add-check-not-valid", "ALTER TABLE accounts ADD CONSTRAINT positive_balance CHECK (balance >= 0) NOT VALID;"),
    ("add-unique", "ALTER TABLE users ADD CONSTRAINT users_email_unique UNIQUE (email);"),
    ("add-unique-using-index", "ALTER TABLE users ADD CONSTRAINT users_email_unique UNIQUE USING INDEX users_email_idx;"),
    ("add-primary-key", "ALTER TABLE events ADD PRIMARY KEY (id);"),
    ("add-primary-key-using-index", "ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_id_idx;"),
    ("volatile-default-uuid", 'ALTER TABLE "core_recipe" ADD COLUMN "uuid" uuid DEFAULT gen_random_uuid();'),
    ("volatile-default-random", "ALTER TABLE experiments ADD COLUMN bucket double precision DEFAULT random();"),
    ("stable-default-now", 'ALTER TABLE "core_recipe" ADD COLUMN "created" timestamptz DEFAULT now();'),
    ("constant-default", 'ALTER TABLE "core_recipe" ADD COLUMN "flag" boolean DEFAULT false;'),
    ("cast-constant-default", """ALTER TABLE "core_recipe" ADD COLUMN "meta" jsonb DEFAULT '{}'::jsonb;"""),
    ("constant-expression-default", "ALTER TABLE users ADD COLUMN score integer DEFAULT 2 + 2;"),
    ("generated-stored", 'ALTER TABLE "core_recipe" ADD COLUMN "total" numeric GENERATED ALWAYS AS (price * qty) STORED;'),
    ("detach-partition", "ALTER TABLE measurements DETACH PARTITION measurements_2020;"),
    ("detach-partition-concurrently", "ALTER TABLE measurements DETACH PARTITION measurements_2020 CONCURRENTLY;"),
    ("vacuum-full", "VACUUM FULL orders;"),
    ("cluster", "CLUSTER orders USING orders_pkey;"),
    ("add-nullable-column", 'ALTER TABLE "core_recipe" ADD COLUMN "notes" text NULL;'),
    ("set-default", "ALTER TABLE users ALTER COLUMN status SET DEFAULT 'active';"),
    ("create-table", 'CREATE TABLE "core_ingredient" ("id" bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, '
                     '"name" text NOT NULL);'),
    ("new-table-then-index", "CREATE TABLE tags (id bigint PRIMARY KEY, name text);\n"
                             "CREATE INDEX tags_name_idx ON tags (name);"),
    ("rails-add-reference", 'ALTER TABLE "comments" ADD "post_id" bigint;\n'
                            'CREATE INDEX "index_comments_on_post_id" ON "comments" ("post_id");'),
    ("django-alter-field", 'BEGIN;\nALTER TABLE "shop_product" ALTER COLUMN "price" TYPE numeric(10, 2) '
                           'USING "price"::numeric(10, 2);\nCOMMIT;'),
]

# shipgen's rule -> squawk's rule for the same operation
SQUAWK_RULE = {
    "drop-column": "ban-drop-column",
    "drop-table": "ban-drop-table",
    "drop-database": "ban-drop-database",
    "drop-schema": "ban-drop-schema",
    "rename-column": "renaming-column",
    "rename-table": "renaming-table",
    "rename-enum-value": "renaming-object",
    "change-column-type": "changing-column-type",
    "add-required-column": "adding-required-field",
    "set-not-null": "adding-not-nullable-field",
    "drop-not-null": "ban-drop-not-null",
    "truncate-cascade": "ban-truncate-cascade",
    "create-index-blocking": "require-concurrent-index-creation",
    "drop-index-blocking": "require-concurrent-index-deletion",
    "reindex-blocking": "require-concurrent-reindex",
    "add-foreign-key": "adding-foreign-key-constraint",
    "add-check-constraint": "constraint-missing-not-valid",
    "add-unique-constraint": "disallowed-unique-constraint",
    "add-primary-key": "adding-serial-primary-key-field",
    "volatile-default": "adding-field-with-default",
    "add-generated-column": "adding-field-with-default",
    "detach-partition-blocking": "require-concurrent-partition-detach",
    "rewrite-table": "prefer-repack",
}
COVERED = set(SQUAWK_RULE.values())

# squawk also reports constraint-missing-not-valid beside its specific rule for a foreign key,
# UNIQUE or PRIMARY KEY constraint: one lock, two names. shipgen names it once.
SECOND_NAMES = {"adding-foreign-key-constraint", "disallowed-unique-constraint", "adding-serial-primary-key-field"}

# snippet -> (squawk rules only squawk reports, squawk rules only shipgen reports, why)
DISAGREEMENTS = {
    "new-table-then-index": (
        {"require-concurrent-index-creation"}, set(),
        "The index is built on a table created just before, which nobody uses and which is empty: no write can "
        "be blocked. squawk exempts such tables only inside an explicit transaction (or with "
        "--assume-in-transaction); shipgen exempts a table created earlier in the release's migrations."),
    "vacuum-full": (
        set(), {"prefer-repack"},
        "VACUUM FULL holds an ACCESS EXCLUSIVE lock for the whole rewrite on every PostgreSQL version. squawk "
        "reports it only with --pg-version 19 or newer, because its advice is PostgreSQL 19's REPACK; shipgen "
        "reports the lock on every version and suggests pg_repack."),
    "cluster": (
        set(), {"prefer-repack"},
        "Same as VACUUM FULL: CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock on every version."),
}


def _shipgen_rules(sql: str) -> set:
    report = classify_sql(sql)
    assert report.problems == (), report.problems
    return {SQUAWK_RULE[operation.rule] for operation in report.operations
            if operation.rule in SQUAWK_RULE and not operation.new_table}  # exempt: the table is new


def _squawk_binary() -> str | None:
    beside_python = Path(sys.executable).parent / "squawk"
    return str(beside_python) if beside_python.is_file() else shutil.which("squawk")


def _squawk_rules(tmp_path: Path) -> dict:
    binary = _squawk_binary()
    if binary is None:
        pytest.skip("squawk is not installed (pip install squawk-cli, or the `test` extra)")
    paths = []
    for index, (name, sql) in enumerate(CORPUS):
        path = tmp_path / f"{index:02d}_{name}.sql"
        path.write_text(sql + "\n", encoding="utf-8")
        paths.append(path)
    completed = subprocess.run([binary, "--reporter", "json", *map(str, paths)], capture_output=True, text=True,
                               check=False)
    assert completed.returncode in (0, 1), completed.stderr
    found: dict = {str(path): set() for path in paths}
    for violation in json.loads(completed.stdout or "[]"):
        found.setdefault(violation["file"], set()).add(violation["rule_name"])
    rules = {}
    for (name, _sql), path in zip(CORPUS, paths):
        names = found[str(path)] & COVERED
        if names & SECOND_NAMES:
            names.discard("constraint-missing-not-valid")
        rules[name] = names
    return rules


def test_corpus_is_large_and_every_snippet_parses():
    assert len(CORPUS) >= 40
    assert len({name for name, _ in CORPUS}) == len(CORPUS)
    for _name, sql in CORPUS:
        assert classify_sql(sql).problems == ()


def test_every_compared_rule_is_in_the_catalogue():
    assert set(SQUAWK_RULE) <= set(CATALOGUE)


@pytest.fixture(scope="module")
def squawk_rules(tmp_path_factory):
    return _squawk_rules(tmp_path_factory.mktemp("squawk"))


@pytest.mark.parametrize("name, sql", CORPUS, ids=[name for name, _ in CORPUS])
def test_classifier_agrees_with_squawk(squawk_rules, name, sql):
    ours = _shipgen_rules(sql)
    theirs = squawk_rules[name]
    only_squawk, only_shipgen, _why = DISAGREEMENTS.get(name, (set(), set(), ""))
    assert theirs - ours == only_squawk, f"{name}: squawk reports {sorted(theirs)}, shipgen {sorted(ours)}"
    assert ours - theirs == only_shipgen, f"{name}: squawk reports {sorted(theirs)}, shipgen {sorted(ours)}"


def test_agreement_is_substantial(squawk_rules):
    flagged_by_both = [name for name, sql in CORPUS if squawk_rules[name] and squawk_rules[name] == _shipgen_rules(sql)]
    assert len(flagged_by_both) >= 25
    assert len(DISAGREEMENTS) <= 5
