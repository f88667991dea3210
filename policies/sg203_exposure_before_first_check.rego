# METADATA
# title: A bad version serves much traffic before any check can fail
# custom:
#   code: SG203
#   name: exposure-before-first-check
#   severity: warning
#   options:
#     min-percent:
#       default: 10
#       description: The share of traffic (percent) from which unjudged exposure counts.
#     max-minutes:
#       default: 5
#       description: The longest time (minutes) a bad version may serve at least min-percent of traffic before the first check can fail.
#   what-it-flags: >-
#     A rollout in which a bad version that passes its smoke tests serves at least
#     `min-percent` of traffic for at least `max-minutes` before the first metric or alarm
#     check can fail. The figure comes from `shipgen plan` (scenario fail-at 0s: the metrics
#     are bad from the start): the controller's own timing, the tick or interval, the initial
#     delay of the analysis and the alarm periods, not the spec's wording.
#   why-it-matters: >-
#     Until a check has had the chance to fail, nothing can roll back: every request in that
#     time is served by the bad version. A large share for several minutes is an outage
#     with extra steps.
#   example: |
#     strategy:
#       type: canary
#       steps: [50]
#       interval: 10m
#   use-instead: |
#     strategy:
#       type: canary
#       steps: [5, 25, 50]
#       interval: 1m          # the first check comes one interval after the first weight
package shipgen.policies.exposure_before_first_check

import rego.v1

options := input.options["exposure-before-first-check"]

deny contains finding if {
	some exposure in input.facts.plan.exposure_before_first_failure
	exposure.percent >= options["min-percent"]
	exposure.minutes >= options["max-minutes"]
	finding := {
		"msg": sprintf("a bad version would serve %v%% of traffic or more for %s before the first check can fail (%s; at most %v min at %v%% or more)", [exposure.percent_text, exposure.duration_text, input.facts.plan.controller, options["max-minutes"], options["min-percent"]]),
		"path": exposure.path,
	}
}
