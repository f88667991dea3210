# METADATA
# title: Service without a readiness probe
# custom:
#   code: SG504
#   name: missing-readiness-probe
#   severity: error
#   severity-outside-production: warning
#   what-it-flags: >-
#     A service with ports (it receives traffic) and no probe that the platform uses to tell
#     when an instance can serve: a `service.health.readiness` probe on Kubernetes; on Cloud Run
#     the startup probe (`startup`, else `readiness`); on Container Apps an HTTP or TCP
#     readiness probe; on App Service an HTTP readiness or liveness path (the health check);
#     on Traffic Manager the endpoint monitor's path; on ECS an HTTP readiness path (for the
#     target groups) or an exec liveness probe (the container health check); on EC2 a
#     readiness or liveness probe (the hook scripts' check). Not checked for Lambda.
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
	check := input.facts.health.readiness_check
	check.required
	not check.present
	finding := {
		"msg": sprintf("the service receives traffic but has no %s: instances get requests before they can serve them", [check.mechanism]),
		"path": check.path,
	}
}
