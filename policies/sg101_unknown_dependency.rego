# METADATA
# title: Dependency on a service no spec defines
# custom:
#   code: SG101
#   name: unknown-dependency
#   severity: warning
#   what-it-flags: >-
#     A `dependsOn` entry naming a service (by name and namespace) that none of the release
#     specs given to the same run defines. Only checked when the run covers more than one
#     spec: with a single spec every dependency is unknown.
#   why-it-matters: >-
#     A dependency that no spec describes is usually a typo or a renamed service, and the
#     runbook's "talks to" list and any ordering between the releases are then wrong.
#   example: |
#     dependsOn:
#       - inventroy            # typo: the spec is named inventory
#   use-instead: |
#     dependsOn:
#       - inventory
#       - {name: payments, namespace: billing}   # name the namespace when it differs
package shipgen.policies.unknown_dependency

import rego.v1

deny contains finding if {
	input.facts.dependencies.graph_size > 1
	some dependency in input.facts.dependencies.dependencies
	not dependency.known
	finding := {
		"msg": sprintf("depends on %s (namespace %s), and none of the %d release specs given defines it", [dependency.name, dependency.namespace, input.facts.dependencies.graph_size]),
		"path": dependency.path,
	}
}
