# METADATA
# title: Rolling update that takes out too much capacity
# custom:
#   code: SG202
#   name: capacity-dropping-rollout
#   severity: warning
#   options:
#     max-unavailable-percent:
#       default: 25
#       description: The largest share of instances (percent) an update may take out of service at once.
#   what-it-flags: >-
#     A production rolling (or canary) update whose `maxUnavailable` takes more than
#     `max-unavailable-percent` of the instances out of service while new ones start.
#   why-it-matters: >-
#     Every instance taken out during the update is capacity the remaining ones must absorb.
#     Under normal load that shows up as latency; at peak, or when the new version fails to
#     start, the service runs short of capacity exactly when it is changing.
#   example: |
#     service: {replicas: 4}
#     strategy: {type: rolling, maxSurge: 0, maxUnavailable: 2}
#   use-instead: |
#     strategy: {type: rolling, maxSurge: 25%, maxUnavailable: 0}   # add before removing
package shipgen.policies.capacity_dropping_rollout

import rego.v1

options := input.options["capacity-dropping-rollout"]

rollout := input.facts.rollout

deny contains finding if {
	input.production
	rollout.strategy in {"rolling", "canary"}
	not rollout.all_at_once
	rollout.unavailable_percent > options["max-unavailable-percent"]
	finding := {
		"msg": sprintf("maxUnavailable takes %d of %d instances (%v%%) out of service during the update; at most %v%% in production", [rollout.unavailable_instances, rollout.replicas, rollout.unavailable_percent_text, options["max-unavailable-percent"]]),
		"path": ["strategy", "maxUnavailable"],
	}
}
