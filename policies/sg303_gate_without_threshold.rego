# METADATA
# title: Gate without a threshold
# custom:
#   code: SG303
#   name: gate-without-threshold
#   severity: error
#   what-it-flags: >-
#     A gate with neither `max` nor `min`.
#   why-it-matters: >-
#     A gate without a threshold can never fail: the analysis always passes, and a rollback
#     bound to it never fires. It looks like protection and gives none.
#   example: |
#     gates:
#       - {name: error-rate, metric: error-rate}
#   use-instead: |
#     gates:
#       - {name: error-rate, metric: error-rate, max: 0.01}
package shipgen.policies.gate_without_threshold

import rego.v1

deny contains finding if {
	some gate in input.facts.analysis.gates
	not gate.has_threshold
	finding := {
		"msg": sprintf("gate %s has neither max nor min, so it can never fail", [gate.name]),
		"path": gate.path,
	}
}
