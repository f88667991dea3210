# METADATA
# title: Disruption budget that protects nothing
# custom:
#   code: SG602
#   name: disruption-budget-protects-nothing
#   severity: warning
#   what-it-flags: >-
#     A production Kubernetes release whose PodDisruptionBudget (as shipgen emits it) keeps no
#     instance running during a node drain, because the service runs a single instance; or a
#     budget that allows no eviction at all, which blocks node drains.
#   why-it-matters: >-
#     Node upgrades and autoscaler scale-downs evict pods. With one instance, every eviction is
#     an outage; a budget that allows no eviction instead hangs cluster maintenance until
#     someone deletes the pod by hand.
#   example: |
#     metadata: {environment: production}
#     service: {replicas: 1}
#   use-instead: |
#     service: {replicas: 2}    # or autoscaling with minReplicas: 2
package shipgen.policies.disruption_budget_protects_nothing

import rego.v1

budget := input.facts.disruption

deny contains finding if {
	input.production
	budget.budget
	budget.min_available < 1
	finding := {
		"msg": sprintf("with %d instance(s), the PodDisruptionBudget lets a node drain evict all of them: every cluster maintenance is an outage", [budget.replicas]),
		"path": budget.path,
	}
}

deny contains finding if {
	input.production
	budget.budget
	not budget.allows_eviction
	finding := {
		"msg": "the PodDisruptionBudget allows no eviction: node drains hang until someone deletes a pod by hand",
		"path": budget.path,
	}
}
