# METADATA
# title: Analysis interval shorter than the gate's query window
# custom:
#   code: SG305
#   name: interval-shorter-than-query-window
#   severity: warning
#   what-it-flags: >-
#     A progressive release with a gate whose query `window` is longer than the analysis
#     `interval`.
#   why-it-matters: >-
#     Each check then looks mostly at traffic from before the current step (or before the new
#     version existed): a regression at a higher weight is diluted by older, healthy data and
#     the check passes when it should fail.
#   example: |
#     strategy: {type: canary, interval: 1m}
#     gates:
#       - {name: error-rate, metric: error-rate, max: 0.01, window: 5m}
#   use-instead: |
#     strategy: {type: canary, interval: 5m}
#     gates:
#       - {name: error-rate, metric: error-rate, max: 0.01, window: 5m}
package shipgen.policies.interval_shorter_than_query_window

import rego.v1

deny contains finding if {
	input.facts.rollout.progressive
	some gate in input.facts.analysis.gates
	gate.window_s > input.facts.analysis.interval_s
	finding := {
		"msg": sprintf("gate %s queries the last %s, but the analysis runs every %s: each check judges mostly traffic from before the current step", [gate.name, gate.window, input.facts.analysis.interval]),
		"path": gate.window_path,
	}
}
