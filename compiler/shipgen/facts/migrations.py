"""Migration facts: every SQL statement of a release's migrations, parsed with a real parser and
classified by what it does to the version of the service that is still running.

PostgreSQL is parsed with pglast (the server's own grammar); MySQL and the other dialects with
sqlglot. Nothing here uses regular expressions on SQL. The catalogue follows squawk and
strong_migrations (`../shared/docs/peers.md` §1.3): each operation is

- *breaking*: the old version, still serving during a rolling, canary or blue-green rollout,
  fails against the new schema (drop or rename a column or table, change a column type, a
  NOT NULL column without a default, ...): expand/contract is required;
- *locking*: the statement holds a lock that blocks reads or writes while it scans or rewrites
  the table (an index built without CONCURRENTLY, a constraint validated in place, a volatile
  default, ...);
- *expand*: it adds something the new version may need (a table, a nullable column, an index).

Each operation keeps the file, line and column of its statement, so a finding points there.
Operations on a table created earlier in the same set of migrations are neither breaking nor
locking: nobody uses that table yet (squawk does the same within one transaction).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# rule -> (breaking, locking, expand, what happens, the safe path)
CATALOGUE: dict = {
    "drop-column": (True, False, False, "drops a column the running version may still read or write",
                    "stop using the column in one release; drop it in a later one (phase: after-rollout)"),
    "drop-table": (True, False, False, "drops a table the running version may still use",
                   "stop using the table in one release; drop it in a later one (phase: after-rollout)"),
    "drop-schema": (True, False, False, "drops a schema the running version may still use",
                    "drop it in a later release, once no version uses it"),
    "drop-database": (True, False, False, "drops a whole database", "never drop a database in a migration"),
    "rename-column": (True, False, False, "renames a column: the running version still uses the old name",
                      "add the new column, write both, backfill, switch reads, drop the old one later"),
    "rename-table": (True, False, False, "renames a table: the running version still uses the old name",
                     "create the new table (or a view with the old name), write both, switch reads, drop later"),
    "rename-schema": (True, False, False, "renames a schema: the running version still uses the old name",
                      "create the new schema beside the old one and move objects over several releases"),
    "rename-enum-value": (True, False, False, "renames an enum value the running version still writes",
                          "add the new value, handle both in code, backfill, then stop using the old one"),
    "change-column-type": (True, True, False, "changes a column's type: the table is rewritten under an "
                           "ACCESS EXCLUSIVE lock, and the running version may not handle the new type",
                           "add a new column, write both, backfill, switch reads, drop the old one later"),
    "add-required-column": (True, False, False, "adds a NOT NULL column without a default: INSERTs from the "
                            "running version, which does not know the column, fail",
                            "add the column nullable or with a constant default; make it NOT NULL later"),
    "set-not-null": (True, True, False, "sets NOT NULL on an existing column: a full scan under an ACCESS "
                     "EXCLUSIVE lock, and writes of NULL from the running version fail",
                     "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it in a later migration, then SET NOT NULL"),
    "drop-not-null": (True, False, False, "drops NOT NULL: the running version may read NULLs it never expected",
                      "make sure every running version accepts NULL before dropping the constraint"),
    "truncate-cascade": (True, False, False, "TRUNCATE ... CASCADE empties every table that references this one",
                         "truncate the tables you mean, by name, without CASCADE"),
    "create-index-blocking": (False, True, False, "builds an index without CONCURRENTLY: writes to the table "
                              "are blocked until it is built", "CREATE INDEX CONCURRENTLY (outside a transaction)"),
    "drop-index-blocking": (False, True, False, "drops an index without CONCURRENTLY: takes an ACCESS EXCLUSIVE "
                            "lock on the table", "DROP INDEX CONCURRENTLY"),
    "reindex-blocking": (False, True, False, "REINDEX without CONCURRENTLY blocks writes to the table",
                         "REINDEX ... CONCURRENTLY (PostgreSQL 12 and newer)"),
    "add-foreign-key": (False, True, False, "adds a foreign key validated in place: blocks writes on both tables "
                        "while every row is checked", "ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a "
                        "later migration"),
    "add-check-constraint": (False, True, False, "adds a CHECK constraint validated in place: blocks reads and "
                             "writes while every row is checked", "ADD CONSTRAINT ... NOT VALID, then VALIDATE "
                             "CONSTRAINT in a later migration"),
    "add-unique-constraint": (False, True, False, "adds a UNIQUE constraint: builds its index under an ACCESS "
                              "EXCLUSIVE lock", "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE "
                              "USING INDEX"),
    "add-primary-key": (False, True, False, "adds a PRIMARY KEY: builds its index under an ACCESS EXCLUSIVE lock",
                        "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... PRIMARY KEY USING INDEX"),
    "add-exclusion-constraint": (False, True, False, "adds an exclusion constraint: scans the table under lock",
                                 "no safe way on a busy table: schedule it, or build it on a new table"),
    "volatile-default": (False, True, False, "adds a column with a volatile default: every row is rewritten under "
                         "an ACCESS EXCLUSIVE lock", "add the column without a default, SET DEFAULT, then backfill "
                         "in batches"),
    "add-generated-column": (False, True, False, "adds a stored generated column: the table is rewritten under an "
                             "ACCESS EXCLUSIVE lock", "add a plain column kept up to date by a trigger, backfill in "
                             "batches"),
    "add-auto-increment-column": (False, True, False, "adds a serial or identity column: the table is rewritten "
                                  "under an ACCESS EXCLUSIVE lock", "create a new table and copy the data over"),
    "detach-partition-blocking": (False, True, False, "detaches a partition without CONCURRENTLY: takes an ACCESS "
                                  "EXCLUSIVE lock on the parent", "DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+)"),
    "rewrite-table": (False, True, False, "VACUUM FULL or CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock",
                      "use pg_repack, which rebuilds the table without the long lock"),
    "mysql-copy-algorithm": (False, True, False, "ALGORITHM=COPY copies the table and blocks writes meanwhile",
                             "leave ALGORITHM out (INPLACE or INSTANT are chosen when possible)"),
    "mysql-explicit-lock": (False, True, False, "LOCK=SHARED or LOCK=EXCLUSIVE blocks writes (or reads) while the "
                            "table is altered", "leave LOCK out, or use LOCK=NONE"),
    # additive, safe for the running version; the new version may need them
    "create-table": (False, False, True, "creates a table", ""),
    "add-column": (False, False, True, "adds a column the running version ignores", ""),
    "create-index": (False, False, True, "builds an index without blocking writes", ""),
    "add-constraint-not-valid": (False, False, True, "adds a constraint without validating existing rows", ""),
    "add-enum-value": (False, False, True, "adds an enum value", ""),
}

# PostgreSQL functions that are not volatile and take no arguments: a default calling one of
# them is evaluated once, so adding the column does not rewrite the table (PostgreSQL 11+).
NON_VOLATILE_FUNCTIONS = frozenset({
    "now", "transaction_timestamp", "statement_timestamp", "current_timestamp", "localtimestamp",
    "current_date", "current_time", "localtime", "current_user", "current_role", "session_user", "user",
    "current_schema", "current_database", "pi", "version",
})

_MIGRATION_VERSION = re.compile(r"^[VvRr]?(\d+(?:[._]\d+)*)(?=__|_|\.|-)")


@dataclass(frozen=True)
class Operation:
    """One classified operation of one SQL statement."""

    rule: str
    table: str
    column: str
    file: str
    line: int  # 1-based, of the statement's first token
    col: int
    statement: str  # the statement, whitespace collapsed, abbreviated
    new_table: bool = False  # the table was created earlier in the same migrations

    @property
    def breaking(self) -> bool:
        return CATALOGUE[self.rule][0] and not self.new_table

    @property
    def locking(self) -> bool:
        return CATALOGUE[self.rule][1] and not self.new_table

    @property
    def expand(self) -> bool:
        return CATALOGUE[self.rule][2]

    @property
    def subject(self) -> str:
        """What the operation is on: `table.column`, `table`, or the statement's kind."""
        if self.table and self.column:
            return f"{self.table}.{self.column}"
        return self.table or self.column or self.rule

    def as_dict(self) -> dict:
        _breaking, _locking, _expand, what, fix = CATALOGUE[self.rule]
        return {"rule": self.rule, "table": self.table, "column": self.column, "subject": self.subject,
                "file": self.file,
                "line": self.line, "col": self.col, "statement": self.statement, "breaking": self.breaking,
                "locking": self.locking, "expand": self.expand, "new_table": self.new_table,
                "message": what, "fix": fix}


@dataclass(frozen=True)
class ParseProblem:
    file: str
    line: int
    col: int
    message: str

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "col": self.col, "message": self.message}


@dataclass(frozen=True)
class MigrationReport:
    """What the migration files of one release do."""

    dialect: str
    files: tuple  # display paths of the files classified
    operations: tuple  # of Operation, in file order
    problems: tuple  # of ParseProblem
    statements: int
    newest_version: str  # of the newest file by its version prefix ("" when none has one)

    def as_dict(self) -> dict:
        return {"dialect": self.dialect, "files": list(self.files),
                "operations": [operation.as_dict() for operation in self.operations],
                "parse_errors": [problem.as_dict() for problem in self.problems],
                "statements": self.statements, "newest_version": self.newest_version}


def classify_files(files, dialect: str = "postgres") -> MigrationReport:
    """Classify the statements of `files` ((display path, text) pairs, applied in this order)."""
    created: set = set()
    operations: list = []
    problems: list = []
    count = 0
    sql_files = [(path, text) for path, text in files if _is_sql(path)]
    for path, text in sql_files:
        if dialect == "postgres":
            statements, problem = _postgres_statements(path, text)
        else:
            statements, problem = _sqlglot_statements(path, text, dialect)
        if problem:
            problems.append(problem)
        count += len(statements)
        for statement in statements:
            operations.extend(_mark_new_tables(statement, created))
    return MigrationReport(dialect, tuple(path for path, _ in sql_files), tuple(operations), tuple(problems), count,
                           newest_version(path for path, _ in sql_files))


def classify_sql(text: str, dialect: str = "postgres", file: str = "migration.sql") -> MigrationReport:
    """Classify one piece of SQL (a convenience for tests and tools)."""
    return classify_files([(file, text)], dialect)


def version_of(path: str) -> tuple | None:
    """The version a migration file's name starts with (`V42__x.sql` -> (42,)), or None."""
    name = path.rsplit("/", 1)[-1]
    match = _MIGRATION_VERSION.match(name)
    if not match:
        return None
    return tuple(int(part) for part in re.split(r"[._]", match.group(1)))


def newest_version(paths) -> str:
    versions = [version for version in (version_of(path) for path in paths) if version is not None]
    return ".".join(str(part) for part in max(versions)) if versions else ""


def _is_sql(path: str) -> bool:
    name = path.rsplit("/", 1)[-1].lower()
    return name.endswith(".sql") and not name.endswith(".down.sql")


def _mark_new_tables(statement: list, created: set) -> list:
    """The statement's operations, with those on tables created earlier marked; records new tables."""
    marked = []
    for operation in statement:
        if operation.rule != "create-table" and operation.table and operation.table in created:
            operation = Operation(**{**operation.__dict__, "new_table": True})
        marked.append(operation)
    for operation in statement:
        if operation.rule == "create-table":
            created.add(operation.table)
    return marked


def _abbreviate(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 3].rstrip() + "..."


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


# ---------------------------------------------------------------------------- PostgreSQL (pglast)


def _postgres_statements(path: str, text: str):
    """[[Operation, ...] per statement], and a ParseProblem when the file does not parse."""
    from pglast import parse_sql
    from pglast.parser import ParseError

    try:
        raw_statements = parse_sql(text)
    except ParseError as error:
        message, offset = (error.args + (0,))[:2] if error.args else ("syntax error", 0)
        line, col = _line_col(text, min(len(text), int(offset or 0)))  # pglast's index is 0-based
        return [], ParseProblem(path, line, col, f"cannot parse as PostgreSQL: {message}")
    statements = []
    for raw in raw_statements:
        start = _first_token(text, raw.stmt_location)
        end = raw.stmt_location + raw.stmt_len if raw.stmt_len else len(text)
        line, col = _line_col(text, start)
        context = (path, line, col, _abbreviate(text[start:end]))
        statements.append(list(_postgres_operations(raw.stmt, context)))
    return statements, None


def _first_token(text: str, offset: int) -> int:
    """Skip whitespace and comments that a statement's reported start may include."""
    while offset < len(text):
        if text[offset].isspace():
            offset += 1
        elif text.startswith("--", offset):
            newline = text.find("\n", offset)
            offset = len(text) if newline < 0 else newline + 1
        elif text.startswith("/*", offset):
            close = text.find("*/", offset + 2)
            offset = len(text) if close < 0 else close + 2
        else:
            break
    return offset


def _operation(rule: str, context: tuple, table: str = "", column: str = "") -> Operation:
    path, line, col, statement = context
    return Operation(rule, table, column, path, line, col, statement)


def _relation_name(relation) -> str:
    if relation is None:
        return ""
    return f"{relation.schemaname}.{relation.relname}" if relation.schemaname else relation.relname


def _postgres_operations(node, context):
    from pglast import ast

    handlers = {
        ast.AlterTableStmt: _alter_table,
        ast.RenameStmt: _rename,
        ast.DropStmt: _drop,
        ast.DropdbStmt: lambda node, context: [_operation("drop-database", context, node.dbname)],
        ast.IndexStmt: _create_index,
        ast.CreateStmt: lambda node, context: [_operation("create-table", context, _relation_name(node.relation))],
        ast.TruncateStmt: _truncate,
        ast.ReindexStmt: _reindex,
        ast.VacuumStmt: _vacuum,
        ast.ClusterStmt: lambda node, context: [_operation("rewrite-table", context, _relation_name(node.relation))],
        ast.AlterEnumStmt: _alter_enum,
    }
    handler = handlers.get(type(node))
    return handler(node, context) if handler else []


def _alter_table(node, context):
    from pglast.enums import AlterTableType, ObjectType

    if node.objtype not in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_MATVIEW, ObjectType.OBJECT_FOREIGN_TABLE):
        return []
    table = _relation_name(node.relation)
    operations = []
    for command in node.cmds or ():
        kind = command.subtype
        if kind == AlterTableType.AT_DropColumn:
            operations.append(_operation("drop-column", context, table, command.name))
        elif kind == AlterTableType.AT_AddColumn:
            operations.extend(_add_column(command.def_, context, table))
        elif kind == AlterTableType.AT_AlterColumnType:
            operations.append(_operation("change-column-type", context, table, command.name))
        elif kind == AlterTableType.AT_SetNotNull:
            operations.append(_operation("set-not-null", context, table, command.name))
        elif kind == AlterTableType.AT_DropNotNull:
            operations.append(_operation("drop-not-null", context, table, command.name))
        elif kind == AlterTableType.AT_AddConstraint:
            operations.append(_add_constraint(command.def_, context, table))
        elif kind == AlterTableType.AT_DetachPartition:
            concurrent = bool(getattr(command.def_, "concurrent", False))
            if not concurrent:
                operations.append(_operation("detach-partition-blocking", context, table))
    return operations


def _add_column(column_def, context, table):
    from pglast.enums import ConstrType

    column = column_def.colname
    constraints = list(column_def.constraints or ())
    kinds = {constraint.contype for constraint in constraints}
    type_name = column_def.typeName.names[-1].sval.lower() if column_def.typeName else ""
    default = next((c.raw_expr for c in constraints if c.contype == ConstrType.CONSTR_DEFAULT), None)
    operations = []
    if type_name in ("serial", "bigserial", "smallserial", "serial2", "serial4", "serial8") \
            or ConstrType.CONSTR_IDENTITY in kinds:
        operations.append(_operation("add-auto-increment-column", context, table, column))
    elif ConstrType.CONSTR_GENERATED in kinds:
        operations.append(_operation("add-generated-column", context, table, column))
    elif default is not None and _volatile(default):
        operations.append(_operation("volatile-default", context, table, column))
    not_null = column_def.is_not_null or ConstrType.CONSTR_NOTNULL in kinds or ConstrType.CONSTR_PRIMARY in kinds
    if not_null and default is None and not operations:
        operations.append(_operation("add-required-column", context, table, column))
    for constraint in constraints:
        if constraint.contype == ConstrType.CONSTR_FOREIGN:
            operations.append(_operation("add-foreign-key", context, table, column))
        elif constraint.contype == ConstrType.CONSTR_UNIQUE:
            operations.append(_operation("add-unique-constraint", context, table, column))
        elif constraint.contype == ConstrType.CONSTR_PRIMARY:
            operations.append(_operation("add-primary-key", context, table, column))
        elif constraint.contype == ConstrType.CONSTR_CHECK:
            operations.append(_operation("add-check-constraint", context, table, column))
    return operations or [_operation("add-column", context, table, column)]


def _add_constraint(constraint, context, table):
    from pglast.enums import ConstrType

    kind = constraint.contype
    if kind in (ConstrType.CONSTR_FOREIGN, ConstrType.CONSTR_CHECK):
        if constraint.skip_validation:
            return _operation("add-constraint-not-valid", context, table)
        return _operation("add-foreign-key" if kind == ConstrType.CONSTR_FOREIGN else "add-check-constraint",
                          context, table)
    if kind in (ConstrType.CONSTR_UNIQUE, ConstrType.CONSTR_PRIMARY):
        if constraint.indexname:  # ... USING INDEX: the index was built beforehand
            return _operation("add-constraint-not-valid", context, table)
        return _operation("add-unique-constraint" if kind == ConstrType.CONSTR_UNIQUE else "add-primary-key",
                          context, table)
    if kind == ConstrType.CONSTR_EXCLUSION:
        return _operation("add-exclusion-constraint", context, table)
    return _operation("add-constraint-not-valid", context, table)


def _volatile(expression) -> bool:
    """Whether a default expression may differ per row (and so rewrites the table)."""
    from pglast import ast

    if isinstance(expression, (ast.A_Const, ast.SQLValueFunction)):
        return False
    if isinstance(expression, ast.TypeCast):
        return _volatile(expression.arg)
    if isinstance(expression, ast.FuncCall):
        name = expression.funcname[-1].sval.lower()
        return name not in NON_VOLATILE_FUNCTIONS or any(_volatile(argument) for argument in expression.args or ())
    if isinstance(expression, ast.A_Expr):
        return any(_volatile(side) for side in (expression.lexpr, expression.rexpr) if side is not None)
    if isinstance(expression, ast.A_ArrayExpr):
        return any(_volatile(element) for element in expression.elements or ())
    return True


def _rename(node, context):
    from pglast.enums import ObjectType

    kind = node.renameType
    if kind == ObjectType.OBJECT_COLUMN:
        return [_operation("rename-column", context, _relation_name(node.relation), node.subname)]
    if kind == ObjectType.OBJECT_TABLE:
        return [_operation("rename-table", context, _relation_name(node.relation))]
    if kind == ObjectType.OBJECT_SCHEMA:
        return [_operation("rename-schema", context, node.subname)]
    return []


def _drop(node, context):
    from pglast.enums import ObjectType

    names = [".".join(part.sval for part in item) if isinstance(item, tuple) else getattr(item, "sval", str(item))
             for item in node.objects or ()]
    if node.removeType == ObjectType.OBJECT_TABLE:
        return [_operation("drop-table", context, name) for name in names]
    if node.removeType == ObjectType.OBJECT_SCHEMA:
        return [_operation("drop-schema", context, name) for name in names]
    if node.removeType == ObjectType.OBJECT_INDEX and not node.concurrent:
        return [_operation("drop-index-blocking", context, name) for name in names]
    return []


def _create_index(node, context):
    table = _relation_name(node.relation)
    return [_operation("create-index" if node.concurrent else "create-index-blocking", context, table)]


def _truncate(node, context):
    from pglast.enums import DropBehavior

    if node.behavior != DropBehavior.DROP_CASCADE:
        return []
    return [_operation("truncate-cascade", context, _relation_name(relation)) for relation in node.relations or ()]


def _reindex(node, context):
    options = {option.defname.lower() for option in node.params or ()}
    if "concurrently" in options:
        return []
    return [_operation("reindex-blocking", context, _relation_name(node.relation) or (node.name or ""))]


def _vacuum(node, context):
    options = {option.defname.lower() for option in node.options or ()}
    if "full" not in options:
        return []
    relations = [_relation_name(item.relation) for item in node.rels or ()] or [""]
    return [_operation("rewrite-table", context, name) for name in relations]


def _alter_enum(node, context):
    name = ".".join(part.sval for part in node.typeName)
    if node.oldVal:
        return [_operation("rename-enum-value", context, name)]
    return [_operation("add-enum-value", context, name)]


# ---------------------------------------------------------------------------- other dialects (sqlglot)

_SQLGLOT_DIALECTS = {"mysql": "mysql", "sqlite": "sqlite", "sqlserver": "tsql", "oracle": "oracle"}


def _sqlglot_statements(path: str, text: str, dialect: str):
    """Statements split on the tokenizer's semicolons, each parsed on its own so that every one
    keeps the line of its first token."""
    import logging

    import sqlglot
    from sqlglot.errors import ParseError, TokenError
    from sqlglot.tokens import TokenType

    read = _SQLGLOT_DIALECTS.get(dialect, dialect)
    try:
        tokens = sqlglot.tokenize(text, read=read)
    except TokenError as error:
        return [], ParseProblem(path, 1, 1, f"cannot read as {dialect} SQL: {error}")
    chunks: list = []
    current: list = []
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            if current:
                chunks.append(current)
            current = []
        else:
            current.append(token)
    if current:
        chunks.append(current)
    statements = []
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)  # sqlglot warns when it falls back to a generic Command
    try:
        for chunk in chunks:
            start, end = chunk[0].start, chunk[-1].end + 1
            line, col = _line_col(text, start)
            try:
                expression = sqlglot.parse_one(text[start:end], read=read)
            except ParseError as error:
                detail = error.errors[0] if error.errors else {}
                return statements, ParseProblem(path, line + max(0, detail.get("line", 1) - 1), col,
                                                f"cannot parse as {dialect} SQL: "
                                                f"{_plain_error(detail.get('description', str(error)))}")
            context = (path, line, col, _abbreviate(text[start:end]))
            statements.append(list(_sqlglot_operations(expression, context, text[start:end])))
    finally:
        logger.setLevel(level)
    return statements, None


def _plain_error(description: str) -> str:
    """sqlglot's message without the repr of its internal token."""
    return re.sub(r"<Token token_type: [^,]*, text: ([^,]*),[^>]*>", r"'\1'", description)


def _sqlglot_operations(expression, context, text: str):
    from sqlglot import exp

    if isinstance(expression, exp.Create):
        kind = (expression.args.get("kind") or "").upper()
        target = expression.this
        if kind == "TABLE":
            return [_operation("create-table", context, _sqlglot_table(target))]
        if kind == "INDEX":  # MySQL and the others build indexes online by default
            table = target.args.get("table") if isinstance(target, exp.Index) else None
            return [_operation("create-index", context, _sqlglot_table(table))]
        return []
    if isinstance(expression, exp.Drop):
        kind = (expression.args.get("kind") or "").upper()
        if kind == "TABLE":
            return [_operation("drop-table", context, _sqlglot_table(table)) for table in
                    expression.args.get("tables") or [expression.this]]
        if kind in ("DATABASE", "SCHEMA"):
            return [_operation("drop-database" if kind == "DATABASE" else "drop-schema", context,
                               _sqlglot_name(expression.this))]
        return []
    if isinstance(expression, exp.Alter):
        return _sqlglot_alter(expression, context)
    if isinstance(expression, exp.Command) and str(expression.this).upper() == "RENAME":
        return [_operation("rename-table", context, text.split()[2] if len(text.split()) > 2 else "")]
    return []


def _sqlglot_alter(expression, context):
    from sqlglot import exp

    if (expression.args.get("kind") or "").upper() != "TABLE":
        return []
    table = _sqlglot_table(expression.this)
    operations = []
    for action in expression.args.get("actions") or ():
        if isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() == "COLUMN":
            for column in action.args.get("tables") or [action.this]:
                operations.append(_operation("drop-column", context, table, _sqlglot_name(column)))
        elif isinstance(action, exp.RenameColumn):
            operations.append(_operation("rename-column", context, table, _sqlglot_name(action.this)))
        elif isinstance(action, exp.AlterRename):
            operations.append(_operation("rename-table", context, table))
        elif isinstance(action, exp.ModifyColumn):
            column = action.this
            if action.args.get("rename_from") is not None:
                operations.append(_operation("rename-column", context, table, _sqlglot_name(action.args["rename_from"])))
            operations.append(_operation("change-column-type", context, table, _sqlglot_name(column)))
        elif isinstance(action, exp.AlterColumn):
            if action.args.get("dtype") is not None:
                operations.append(_operation("change-column-type", context, table, _sqlglot_name(action.this)))
            elif action.args.get("allow_null") is False:
                operations.append(_operation("set-not-null", context, table, _sqlglot_name(action.this)))
            elif action.args.get("drop") is None and action.args.get("default") is None \
                    and action.args.get("allow_null") is True:
                operations.append(_operation("drop-not-null", context, table, _sqlglot_name(action.this)))
        elif isinstance(action, exp.ColumnDef):
            operations.append(_sqlglot_add_column(action, context, table))
    for option in _mysql_alter_options(expression):
        key, value = option
        if key == "ALGORITHM" and value == "COPY":
            operations.append(_operation("mysql-copy-algorithm", context, table))
        if key == "LOCK" and value in ("SHARED", "EXCLUSIVE"):
            operations.append(_operation("mysql-explicit-lock", context, table))
    return operations


def _sqlglot_add_column(column, context, table):
    from sqlglot import exp

    constraints = [constraint.args.get("kind") for constraint in column.args.get("constraints") or ()]
    not_null = any(isinstance(kind, exp.NotNullColumnConstraint) and not kind.args.get("allow_null")
                   for kind in constraints)
    has_default = any(isinstance(kind, exp.DefaultColumnConstraint) for kind in constraints)
    auto_increment = any(isinstance(kind, exp.AutoIncrementColumnConstraint) for kind in constraints)
    name = _sqlglot_name(column.this)
    if auto_increment:
        return _operation("add-auto-increment-column", context, table, name)
    if not_null and not has_default:
        return _operation("add-required-column", context, table, name)
    return _operation("add-column", context, table, name)


def _mysql_alter_options(expression) -> list:
    """(ALGORITHM|LOCK, VALUE) pairs of a MySQL ALTER TABLE."""
    from sqlglot import exp

    names = {exp.AlgorithmProperty: "ALGORITHM", exp.LockProperty: "LOCK"}
    return [(names[type(option)], str(option.this).upper()) for option in expression.args.get("options") or ()
            if type(option) in names]


def _sqlglot_table(table) -> str:
    if table is None:
        return ""
    return table.sql() if hasattr(table, "sql") else str(table)


def _sqlglot_name(node) -> str:
    if node is None:
        return ""
    name = getattr(node, "name", None)
    return name if isinstance(name, str) and name else (node.sql() if hasattr(node, "sql") else str(node))
