# METADATA
# title: A person in the critical path of the rollout
# custom:
#   code: SG601
#   name: manual-step-in-critical-path
#   severity: error
#   severity-outside-production: warning
#   options:
#     max-approval-wait-hours:
#       default: 24
#       description: The longest a production manual gate may wait for a person.
#     max-pause-hours:
#       default: 24
#       description: The longest a production canary may pause at one step.
#   what-it-flags: >-
#     Places where a release waits for a person: in production, a manual approval
#     (`strategy.approval`) that waits longer than `max-approval-wait-hours` or a canary step
#     that pauses longer than `max-pause-hours` (an effectively indefinite pause); anywhere, a
#     smoke test whose command waits for input at a terminal (`read`, `kubectl exec -it`, ...).
#   why-it-matters: >-
#     A rollout that waits on a person holds a mixed-version fleet for as long as nobody
#     answers: the old and new versions both serve, deploys queue up behind it, and the state
#     is forgotten over a weekend. A command waiting for input in CI waits until it times out.
#   example: |
#     strategy:
#       type: canary
#       approval: {before: promotion, timeout: 72h, onTimeout: rollback}
#     smoke:
#       - {name: check, command: [kubectl, exec, -it, deploy/api, --, ./check.sh]}
#   use-instead: |
#     strategy:
#       approval: {before: promotion, timeout: 2h, onTimeout: rollback}   # bounded, with a default
#     smoke:
#       - {name: check, command: [kubectl, exec, deploy/api, --, ./check.sh]}
package shipgen.policies.manual_step_in_critical_path

import rego.v1

options := input.options["manual-step-in-critical-path"]

manual := input.facts.manual

deny contains finding if {
	input.production
	manual.approval.timeout_s > options["max-approval-wait-hours"] * 3600
	finding := {
		"msg": sprintf("the manual gate waits up to %s for a person before %s; at most %v h in production", [manual.approval.timeout, manual.approval.before, options["max-approval-wait-hours"]]),
		"path": manual.approval.path,
	}
}

deny contains finding if {
	input.production
	some pause in manual.pauses
	pause.pause_s > options["max-pause-hours"] * 3600
	finding := {
		"msg": sprintf("canary step %d pauses for %s: effectively an indefinite pause; at most %v h in production", [pause.index, pause.pause, options["max-pause-hours"]]),
		"path": pause.path,
	}
}

deny contains finding if {
	some test in manual.interactive_smoke_tests
	finding := {
		"msg": sprintf("smoke test %s waits for a person: %s", [test.name, test.reason]),
		"path": test.path,
	}
}
