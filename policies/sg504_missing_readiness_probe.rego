# METADATA
# title: Service without a readiness probe
# custom:
#   code: SG504
#   name: missing-readiness-probe
#   severity: error
#   severity-outside-production: warning
#   what-it-flags: >-
#     A service with ports (it receives traffic) and no `service.health.readiness` probe.
#   why-it-matters: >-
#     Without readiness, an instance receives traffic as soon as its process starts, before
#     it has loaded its configuration or opened its connections, and keeps receiving it while
#     it is overloaded or shutting down. Rollouts then move on before new instances can serve.
#   example: |
#     service:
#       ports: [{port: 8080}]
#       health:
#         liveness: /healthz/live
#   use-instead: |
#     service:
#       health:
#         readiness: /healthz/ready
#         liveness: /healthz/live
package shipgen.policies.missing_readiness_probe

import rego.v1

deny contains finding if {
	input.facts.health.serves_traffic
	not input.facts.health.readiness
	finding := {
		"msg": "the service receives traffic but has no readiness probe: instances get requests before they can serve them",
		"path": ["service", "health", "readiness"],
	}
}
