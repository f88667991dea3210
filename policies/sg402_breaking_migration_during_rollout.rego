# METADATA
# title: Migration that breaks the version still running
# custom:
#   code: SG402
#   name: breaking-migration-during-rollout
#   severity: error
#   what-it-flags: >-
#     A migration statement that breaks the old version of the service (drop or rename a
#     column or table, change a column's type, add a NOT NULL column without a default, set
#     or drop NOT NULL, rename an enum value, TRUNCATE ... CASCADE) in a release whose old
#     and new versions serve side by side (rolling, canary, blue-green, A/B, shadow) and whose
#     migrations run before the rollout. Statements on a table created earlier in the same
#     migrations are exempt.
#   why-it-matters: >-
#     The migration runs first, then traffic moves gradually: for the whole rollout, and after
#     any rollback, the old version runs against the new schema and fails. A rollback does not
#     undo the migration.
#   example: |
#     -- db/migrations/V43__rename_status.sql, with strategy: canary
#     ALTER TABLE orders RENAME COLUMN status TO state;
#   use-instead: |
#     Expand/contract over several releases: add the new column (expand, phase: before-rollout),
#     write both and backfill, switch reads, stop writing the old one, and drop it in a later
#     release with phase: after-rollout.
package shipgen.policies.breaking_migration_during_rollout

import rego.v1

deny contains finding if {
	input.facts.rollout.mixed_versions
	input.facts.schema.phase == "before-rollout"
	some operation in input.facts.migrations.operations
	operation.breaking
	finding := {
		"msg": sprintf("%s on %s %s, and the old version keeps serving during the %s rollout: use expand/contract", [operation.rule, operation.subject, operation.message, input.facts.rollout.strategy]),
		"path": ["database", "migrations", "path"],
		"location": {"file": operation.file, "line": operation.line, "col": operation.col},
		"fix": operation.fix,
	}
}
