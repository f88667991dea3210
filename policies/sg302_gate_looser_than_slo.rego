# METADATA
# title: Rollback gate looser than the service's SLO
# custom:
#   code: SG302
#   name: gate-looser-than-slo
#   severity: warning
#   options:
#     max-burn-rate:
#       default: 1
#       description: >-
#         How many times the SLO's allowed error rate a gate may tolerate (1 = the SLO itself;
#         Sloth's fast-burn page fires at 14.4).
#   what-it-flags: >-
#     An error-rate gate that measures an SLO (`slos[].sli`) and tolerates a higher error rate
#     than the SLO allows (100% - objective), times `max-burn-rate`.
#   why-it-matters: >-
#     A gate looser than the objective lets a new version burn the error budget faster than
#     the SLO can sustain and still be promoted: the release passes, the SLO fails.
#   example: |
#     gates:
#       - {name: error-rate, metric: error-rate, max: 0.05}
#     slos:
#       - {name: availability, objective: 99.9, sli: error-rate}   # allows 0.001
#   use-instead: |
#     gates:
#       - {name: error-rate, metric: error-rate, max: 0.001}
package shipgen.policies.gate_looser_than_slo

import rego.v1

options := input.options["gate-looser-than-slo"]

deny contains finding if {
	some slo in input.facts.slos
	slo.gate_metric == "error-rate"
	slo.gate_max != null
	slo.gate_max > slo.allowed_error_rate * options["max-burn-rate"]
	finding := {
		"msg": sprintf("gate %s tolerates an error rate of %v, but SLO %s (%v%%) allows %v", [slo.sli, slo.gate_max_text, slo.name, slo.objective_text, slo.allowed_text]),
		"path": slo.gate_path,
	}
}
