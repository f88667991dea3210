# METADATA
# title: Schema change without a migration step
# custom:
#   code: SG401
#   name: unmigrated-schema-change
#   severity: error
#   what-it-flags: >-
#     A release whose schema changes while the release declares no migration step to change
#     it: migration files changed against the git base given with `--base`, but no
#     `database.migrations` (or changed outside its folder); a `database.schemaVersion`
#     without `database.migrations`; or a schemaVersion newer than the newest migration file.
#   why-it-matters: >-
#     The new version then starts against a schema nobody migrated: it fails on its first
#     query, or, worse, works until it touches the missing column. The runbook has no
#     migration step, so nobody knows one was needed.
#   example: |
#     database:
#       schemaVersion: "43"        # and db/migrations/V43__add_status.sql changed
#   use-instead: |
#     database:
#       schemaVersion: "43"
#       migrations: {path: db/migrations, tool: flyway, phase: before-rollout}
package shipgen.policies.unmigrated_schema_change

import rego.v1

schema := input.facts.schema

deny contains finding if {
	schema.declared_version != ""
	not schema.declared_migrations
	finding := {
		"msg": sprintf("database.schemaVersion is %s, but the release declares no migration step (database.migrations)", [schema.declared_version]),
		"path": ["database", "schemaVersion"],
	}
}

deny contains finding if {
	schema.version_newer_than_migrations
	finding := {
		"msg": sprintf("database.schemaVersion is %s, but the newest migration in %s is version %s", [schema.declared_version, schema.declared_folder, schema.newest_migration_version]),
		"path": ["database", "schemaVersion"],
	}
}

deny contains finding if {
	count(schema.changed_files) > 0
	not schema.declared_migrations
	finding := {
		"msg": sprintf("migrations changed against %s (%s), but the release declares no migration step (database.migrations)", [schema.base, schema.changed_text]),
		"path": ["database"],
	}
}

deny contains finding if {
	schema.declared_migrations
	count(schema.changed_outside_declared_folder) > 0
	finding := {
		"msg": sprintf("migrations changed against %s outside database.migrations.path (%s): %s", [schema.base, schema.declared_folder, schema.changed_outside_text]),
		"path": ["database", "migrations", "path"],
	}
}
