# METADATA
# title: Progressive rollout without automatic rollback criteria
# custom:
#   code: SG301
#   name: rollback-without-criteria
#   severity: error
#   severity-outside-production: warning
#   what-it-flags: >-
#     A canary, blue-green, A/B or shadow release whose gates trigger no automatic rollback:
#     `rollback.automatic` is false, or `rollback.on` names no gate.
#   why-it-matters: >-
#     A progressive rollout exists to stop a bad version early. Without criteria bound to
#     metrics, a failing analysis only halts the rollout and waits for a person, who may be
#     asleep while part of the traffic keeps hitting the bad version.
#   example: |
#     strategy: {type: canary}
#     gates:
#       - {name: error-rate, metric: error-rate, max: 0.01}
#     rollback: {automatic: false}
#   use-instead: |
#     rollback:
#       automatic: true
#       on: [error-rate]        # the gates whose failure rolls back
package shipgen.policies.rollback_without_criteria

import rego.v1

deny contains finding if {
	input.facts.rollout.progressive
	count(input.release.gates) > 0
	not input.release.rollback.automatic
	finding := {
		"msg": sprintf("rollback.automatic is false: when a gate fails, this %s rollout halts and waits for a person instead of rolling back", [input.facts.rollout.strategy]),
		"path": ["rollback", "automatic"],
	}
}

deny contains finding if {
	input.facts.rollout.progressive
	count(input.release.gates) > 0
	input.release.rollback.automatic
	count(input.release.rollback.on) == 0
	finding := {
		"msg": "rollback.on names no gate: no metric can trigger an automatic rollback",
		"path": ["rollback", "on"],
	}
}
