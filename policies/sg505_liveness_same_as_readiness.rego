# METADATA
# title: Liveness probe identical to the readiness probe
# custom:
#   code: SG505
#   name: liveness-same-as-readiness
#   severity: warning
#   what-it-flags: >-
#     A liveness probe that checks exactly what the readiness probe checks (same handler,
#     path, port or command).
#   why-it-matters: >-
#     Readiness answers "can I take traffic now?" and may fail when a dependency is down;
#     liveness answers "am I stuck?" and restarts the instance when it fails. Sharing one
#     check means a database outage restarts every instance in a loop, turning a partial
#     outage into a total one.
#   example: |
#     health:
#       readiness: /healthz
#       liveness: /healthz
#   use-instead: |
#     health:
#       readiness: /healthz/ready   # checks dependencies
#       liveness: /healthz/live     # checks only the process itself
package shipgen.policies.liveness_same_as_readiness

import rego.v1

deny contains finding if {
	input.facts.health.liveness_same_as_readiness
	finding := {
		"msg": "the liveness probe checks exactly what the readiness probe checks: a failing dependency would restart every instance",
		"path": ["service", "health", "liveness"],
	}
}
