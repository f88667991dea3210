# METADATA
# title: Indicators without objectives
# custom:
#   code: SG503
#   name: sli-without-slo
#   severity: warning
#   what-it-flags: >-
#     A production release with gates (service level indicators) but no `slos`.
#   why-it-matters: >-
#     Without an objective, the gates' thresholds are guesses that nobody can check: there is
#     no error budget to spend or protect, and no way to tell whether a gate is too strict or
#     too loose (see gate-looser-than-slo).
#   example: |
#     gates:
#       - {name: error-rate, metric: error-rate, max: 0.01}
#   use-instead: |
#     gates:
#       - {name: error-rate, metric: error-rate, max: 0.001}
#     slos:
#       - {name: availability, objective: 99.9, sli: error-rate}
package shipgen.policies.sli_without_slo

import rego.v1

deny contains finding if {
	input.production
	count(input.release.gates) > 0
	count(input.release.slos) == 0
	finding := {
		"msg": sprintf("%d gate(s) measure this service, but no SLO states the objective they protect", [count(input.release.gates)]),
		"path": ["gates"],
	}
}
