# METADATA
# title: Big-bang rollout in production
# custom:
#   code: SG201
#   name: big-bang-rollout
#   severity: error
#   options:
#     max-first-step-percent:
#       default: 10
#       description: The largest share of traffic (percent) the first canary step may send to the new version.
#   what-it-flags: >-
#     A production release that moves every instance or all traffic to the new version at
#     once: strategy `recreate`; a rolling update whose maxSurge or maxUnavailable covers every
#     instance; or a canary whose first step sends more than `max-first-step-percent` of
#     traffic to the new version.
#   why-it-matters: >-
#     When the whole fleet changes at once, a bad version reaches every user before any signal
#     can stop it, and rolling back takes as long as the rollout did. A small first step limits
#     the damage to a few percent of requests while the gates judge the new version.
#   example: |
#     metadata: {environment: production}
#     strategy:
#       type: canary
#       steps: [50, 100]
#   use-instead: |
#     strategy:
#       type: canary
#       steps: [5, 25, 50]     # start small; promotion follows the last step
package shipgen.policies.big_bang_rollout

import rego.v1

options := input.options["big-bang-rollout"]

rollout := input.facts.rollout

deny contains finding if {
	input.production
	rollout.strategy == "recreate"
	finding := {
		"msg": "strategy recreate stops every instance of the old version before the new one starts: downtime, then all traffic on the new version at once",
		"path": ["strategy", "type"],
	}
}

deny contains finding if {
	input.production
	rollout.strategy == "rolling"
	rollout.all_at_once
	finding := {
		"msg": sprintf("this rolling update replaces all %d instances at once (maxSurge %v, maxUnavailable %v)", [rollout.replicas, input.release.strategy.maxSurge, input.release.strategy.maxUnavailable]),
		"path": ["strategy"],
	}
}

deny contains finding if {
	input.production
	rollout.strategy == "canary"
	rollout.first_step_percent > options["max-first-step-percent"]
	finding := {
		"msg": sprintf("the first canary step sends %v%% of traffic to the new version; at most %v%% in production", [rollout.first_step_percent_text, options["max-first-step-percent"]]),
		"path": rollout.first_step_path,
	}
}
