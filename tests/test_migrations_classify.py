"""The migration classifier: statement positions, the catalogue's flags, tables created earlier,
other dialects through sqlglot, parse problems, and migration versions."""

from __future__ import annotations

import pytest

from shipgen.facts.migrations import CATALOGUE, classify_files, classify_sql, newest_version, version_of


def _rules(sql: str, dialect: str = "postgres") -> list:
    return [(op.rule, op.line, op.col, op.subject) for op in classify_sql(sql, dialect).operations]


def test_statement_positions_skip_comments_and_blank_lines():
    sql = ("-- V43: status\n\n/* block\n comment */ ALTER TABLE orders\n    DROP COLUMN legacy;\n"
           "  CREATE INDEX orders_idx ON orders (status);\n")
    assert _rules(sql) == [("drop-column", 4, 13, "orders.legacy"), ("create-index-blocking", 6, 3, "orders")]


def test_positions_count_characters_not_bytes():
    sql = "COMMENT ON TABLE t IS 'déjà vu';\nALTER TABLE t DROP COLUMN c;\n"
    assert _rules(sql) == [("drop-column", 2, 1, "t.c")]


def test_flags_follow_the_catalogue():
    (operation,) = classify_sql("ALTER TABLE t ALTER COLUMN c TYPE bigint;").operations
    assert (operation.breaking, operation.locking, operation.expand) == (True, True, False)
    (operation,) = classify_sql("ALTER TABLE t ADD COLUMN c text;").operations
    assert (operation.breaking, operation.locking, operation.expand) == (False, False, True)
    for rule, (breaking, locking, expand, message, fix) in CATALOGUE.items():
        assert message, rule
        assert fix or expand, f"{rule}: an unsafe operation needs the safe path"


def test_operations_on_a_table_created_in_an_earlier_file_are_exempt():
    report = classify_files([("V1__t.sql", "CREATE TABLE t (id bigint);"),
                             ("V2__t.sql", "CREATE INDEX t_idx ON t (id);\nALTER TABLE t ADD COLUMN c int NOT NULL;"),
                             ("V3__u.sql", "CREATE INDEX u_idx ON u (id);")])
    flags = [(op.rule, op.new_table, op.locking, op.breaking) for op in report.operations]
    assert flags == [("create-table", False, False, False), ("create-index-blocking", True, False, False),
                     ("add-required-column", True, False, False), ("create-index-blocking", False, True, False)]


def test_schema_qualified_names():
    assert _rules("ALTER TABLE billing.invoices RENAME COLUMN n TO number;") == \
        [("rename-column", 1, 1, "billing.invoices.n")]


def test_parse_error_is_located():
    report = classify_sql("ALTER TABLE orders ADD COLUMN a int;\nALTER TABLE orders MODIFY status text;\n")
    (problem,) = report.problems
    assert (problem.line, problem.col) == (2, 20)
    assert problem.message == 'cannot parse as PostgreSQL: syntax error at or near "MODIFY"'


def test_only_up_migrations_in_sql_files_are_read():
    report = classify_files([("V1__a.sql", "DROP TABLE a;"), ("V1__a.down.sql", "DROP TABLE b;"),
                             ("README.md", "DROP TABLE c;")])
    assert [op.table for op in report.operations] == ["a"]
    assert report.files == ("V1__a.sql",)


@pytest.mark.parametrize("sql, expected", [
    ("ALTER TABLE users DROP COLUMN email;", [("drop-column", "users.email")]),
    ("ALTER TABLE users RENAME COLUMN a TO b;", [("rename-column", "users.a")]),
    ("ALTER TABLE users MODIFY COLUMN age BIGINT;", [("change-column-type", "users.age")]),
    ("ALTER TABLE users CHANGE COLUMN age years INT;", [("rename-column", "users.age"),
                                                         ("change-column-type", "users.years")]),
    ("ALTER TABLE users ADD COLUMN region VARCHAR(8) NOT NULL;", [("add-required-column", "users.region")]),
    ("ALTER TABLE users ADD COLUMN region VARCHAR(8) NOT NULL DEFAULT 'eu';", [("add-column", "users.region")]),
    ("ALTER TABLE users ADD COLUMN note TEXT, ALGORITHM=COPY, LOCK=SHARED;",
     [("add-column", "users.note"), ("mysql-copy-algorithm", "users"), ("mysql-explicit-lock", "users")]),
    ("ALTER TABLE users ADD COLUMN note TEXT, ALGORITHM=INSTANT;", [("add-column", "users.note")]),
    ("RENAME TABLE users TO accounts;", [("rename-table", "users")]),
    ("ALTER TABLE users RENAME TO accounts;", [("rename-table", "users")]),
    ("DROP TABLE sessions;", [("drop-table", "sessions")]),
    ("CREATE INDEX users_email ON users (email);", [("create-index", "users")]),
])
def test_mysql_through_sqlglot(sql, expected):
    assert [(op.rule, op.subject) for op in classify_sql(sql, "mysql").operations] == expected


def test_mysql_statement_lines():
    sql = "ALTER TABLE a ADD COLUMN b INT;\n\n-- drop\nALTER TABLE a\n  DROP COLUMN c;\n"
    assert _rules(sql, "mysql") == [("add-column", 1, 1, "a.b"), ("drop-column", 4, 1, "a.c")]


def test_other_dialects_parse():
    assert [op.rule for op in classify_sql("ALTER TABLE t DROP COLUMN c;", "sqlite").operations] == ["drop-column"]
    assert [op.rule for op in classify_sql("DROP TABLE dbo.t;", "sqlserver").operations] == ["drop-table"]


def test_mysql_parse_error_is_reported():
    (problem,) = classify_sql("ALTER TABLE ;", "mysql").problems
    assert problem.message.startswith("cannot parse as mysql SQL:") and "Token" not in problem.message


@pytest.mark.parametrize("name, version", [
    ("V42__add_status.sql", (42,)), ("V1_2__x.sql", (1, 2)), ("db/migrations/V3.1__x.sql", (3, 1)),
    ("20240101120000_create_users.up.sql", (20240101120000,)), ("0007_auto.sql", (7,)), ("R__views.sql", None),
    ("seed.sql", None),
])
def test_versions_from_file_names(name, version):
    assert version_of(name) == version


def test_newest_version_compares_numerically():
    assert newest_version(["V9__a.sql", "V10__b.sql", "V2__c.sql"]) == "10"
    assert newest_version(["seed.sql"]) == ""
