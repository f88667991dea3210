# METADATA
# title: Migration that locks a table while it runs
# custom:
#   code: SG403
#   name: locking-migration
#   severity: error
#   severity-outside-production: warning
#   what-it-flags: >-
#     A migration statement that blocks reads or writes while it scans or rewrites a table: an
#     index built or dropped without CONCURRENTLY, a foreign key or CHECK constraint validated
#     in place (no NOT VALID), a UNIQUE or PRIMARY KEY constraint that builds its own index, a
#     column type change, SET NOT NULL, a volatile default, a stored generated or serial
#     column, VACUUM FULL or CLUSTER, MySQL ALGORITHM=COPY or LOCK=SHARED/EXCLUSIVE.
#     Statements on a table created earlier in the same migrations are exempt.
#   why-it-matters: >-
#     On a table of any size the lock lasts seconds to hours; every query of the running
#     version queues behind it, connection pools fill up, health checks time out, and the
#     deployment turns into an outage before the new version serves a single request.
#   example: |
#     CREATE INDEX orders_status_idx ON orders (status);
#     ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);
#   use-instead: |
#     CREATE INDEX CONCURRENTLY orders_status_idx ON orders (status);
#     ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id)
#       REFERENCES customers (id) NOT VALID;
#     -- in a later migration:
#     ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;
package shipgen.policies.locking_migration

import rego.v1

deny contains finding if {
	some operation in input.facts.migrations.operations
	operation.locking
	finding := {
		"msg": sprintf("%s on %s %s", [operation.rule, operation.subject, operation.message]),
		"path": ["database", "migrations", "path"],
		"location": {"file": operation.file, "line": operation.line, "col": operation.col},
		"fix": operation.fix,
	}
}
