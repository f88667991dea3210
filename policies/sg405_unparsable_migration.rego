# METADATA
# title: Migration that cannot be checked
# custom:
#   code: SG405
#   name: unparsable-migration
#   severity: warning
#   what-it-flags: >-
#     A migration file that does not parse as the dialect named in
#     `database.migrations.dialect` (PostgreSQL is parsed with the server's own grammar).
#   why-it-matters: >-
#     Statements that cannot be parsed cannot be checked: a dropped column or a blocking index
#     in that file goes unnoticed. It is also often a real syntax error that will fail the
#     deployment, or the wrong dialect.
#   example: |
#     database:
#       migrations: {path: db/migrations, dialect: postgres}
#     -- db/migrations/V7__x.sql, written for MySQL
#     ALTER TABLE orders MODIFY COLUMN status VARCHAR(20);
#   use-instead: |
#     database:
#       migrations: {path: db/migrations, dialect: mysql}
package shipgen.policies.unparsable_migration

import rego.v1

deny contains finding if {
	some problem in input.facts.migrations.parse_errors
	finding := {
		"msg": sprintf("%s; the statements of this file are not checked", [problem.message]),
		"path": ["database", "migrations", "dialect"],
		"location": {"file": problem.file, "line": problem.line, "col": problem.col},
	}
}
