# METADATA
# title: The healthy rollout outlasts the deployment window
# custom:
#   code: SG204
#   name: rollout-longer-than-window
#   severity: warning
#   options:
#     max-minutes:
#       default: 120
#       description: >-
#         The deployment window (minutes) a healthy rollout must fit in; set it in .shipgen.yaml
#         under lint, options, rollout-longer-than-window.
#   what-it-flags: >-
#     A rollout that, when every check passes, takes longer than `max-minutes` from the
#     controller's first reaction to full rollout, as `shipgen plan` simulates it from the
#     generated artifacts (steps, pauses, analysis counts and intervals, bake times). Waits for
#     a person are not counted.
#   why-it-matters: >-
#     A rollout that runs past the window ends outside working hours or overlaps the next
#     release; people then skip steps or promote by hand, which removes the safety the steps
#     were for.
#   example: |
#     strategy:
#       type: canary
#       steps: [1, 2, 5, 10, 25, 50]
#       interval: 30m
#   use-instead: |
#     strategy:
#       type: canary
#       steps: [5, 25, 50]
#       interval: 5m
package shipgen.policies.rollout_longer_than_window

import rego.v1

options := input.options["rollout-longer-than-window"]

plan := input.facts.plan

deny contains finding if {
	plan.healthy_minutes != null
	plan.healthy_minutes > options["max-minutes"]
	finding := {
		"msg": sprintf("a healthy rollout takes %s (%s), longer than the %v min deployment window", [plan.healthy_text, plan.controller, options["max-minutes"]]),
		"path": plan.path,
	}
}
