# METADATA
# title: Too few requests at a step to judge the new version
# custom:
#   code: SG306
#   name: small-analysis-sample
#   severity: warning
#   options:
#     min-requests:
#       default: 100
#       description: The fewest requests one analysis check must see for its gates to mean anything.
#   what-it-flags: >-
#     An analysis step whose expected requests per check, service.traffic.requestsPerSecond x
#     the step's weight x the analysis interval (plus the load test's requests), is below
#     `min-requests`. Blue-green previews serve no users, so only a load test feeds them.
#     Only steps where a controller judges the gates count: on AWS, CodeDeploy's alarms judge
#     one alarm period of the traffic at each share it shifts (blue-green: production traffic
#     after the switch); on GCP and Azure nothing evaluates metric gates. Steps are not
#     checked when the request rate is unknown.
#   why-it-matters: >-
#     With a handful of requests an error rate is noise: one failure in ten requests is 10%,
#     none is 0%. The gates pass or fail by chance, or report "no values found" and halt the
#     rollout.
#   example: |
#     service:
#       traffic: {requestsPerSecond: 2}
#     strategy: {type: canary, steps: [1, 10, 50], interval: 1m}
#   use-instead: |
#     strategy:
#       type: canary
#       steps: [10, 50]
#       interval: 5m
#       loadTest: {requestsPerSecond: 10}   # generate traffic the gates can judge
package shipgen.policies.small_analysis_sample

import rego.v1

options := input.options["small-analysis-sample"]

deny contains finding if {
	some step in input.facts.rollout.steps
	step.expected_requests != null
	step.expected_requests < options["min-requests"]
	finding := {
		"msg": sprintf("about %v requests per analysis check (%s); at least %v are needed to judge the gates", [step.expected_text, step.basis, options["min-requests"]]),
		"path": step.path,
	}
}
