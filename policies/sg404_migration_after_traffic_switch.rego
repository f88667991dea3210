# METADATA
# title: Schema additions ordered after the traffic switch
# custom:
#   code: SG404
#   name: migration-after-traffic-switch
#   severity: error
#   what-it-flags: >-
#     Migrations that add schema (a table, a column, an index, a constraint, an enum value)
#     with `database.migrations.phase: after-rollout`.
#   why-it-matters: >-
#     After-rollout migrations run once the new version already serves all traffic. If the new
#     version needs what they add, it fails until they have run; if they fail, it keeps
#     failing. Additions belong before the rollout; only removals (contract) belong after.
#   example: |
#     database:
#       migrations: {path: db/migrations, phase: after-rollout}
#     -- db/migrations/V43__add_status.sql
#     ALTER TABLE orders ADD COLUMN status text;
#   use-instead: |
#     database:
#       migrations: {path: db/migrations, phase: before-rollout}   # expand first
package shipgen.policies.migration_after_traffic_switch

import rego.v1

additions := [operation |
	some operation in input.facts.migrations.operations
	operation.expand
]

deny contains finding if {
	input.facts.schema.phase == "after-rollout"
	count(additions) > 0
	first := additions[0]
	finding := {
		"msg": sprintf("%d statement(s) add schema the new version may need (first: %s on %s at %s:%d), but they run after traffic moves to it (phase: after-rollout)", [count(additions), first.rule, first.subject, first.file, first.line]),
		"path": ["database", "migrations", "phase"],
	}
}
