# METADATA
# title: Automated rollout with nothing monitoring it
# custom:
#   code: SG501
#   name: unmonitored-automation
#   severity: error
#   severity-outside-production: warning
#   what-it-flags: >-
#     A canary, blue-green, A/B or shadow release with no gates: no metric provider is
#     queried, so the controller moves traffic on a timer.
#   why-it-matters: >-
#     Automation without monitoring promotes a broken version just as confidently as a good
#     one, only more slowly. The steps and pauses give a false sense of safety.
#   example: |
#     strategy: {type: canary, steps: [5, 25, 50]}
#     # no gates
#   use-instead: |
#     gates:
#       - {name: error-rate, metric: error-rate, max: 0.01, window: 2m}
#       - {name: latency-p99, metric: latency, percentile: 99, max: 500, window: 2m}
package shipgen.policies.unmonitored_automation

import rego.v1

deny contains finding if {
	input.facts.rollout.progressive
	count(input.release.gates) == 0
	finding := {
		"msg": sprintf("a %s rollout with no gates: traffic moves on a timer and no metric provider judges the new version", [input.facts.rollout.strategy]),
		"path": ["strategy", "type"],
	}
}
