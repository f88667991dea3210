# METADATA
# title: Instances stop while they still receive requests
# custom:
#   code: SG603
#   name: abrupt-shutdown
#   severity: error
#   severity-outside-production: warning
#   what-it-flags: >-
#     A service with ports whose `service.drain` is 0 (no connection draining), or whose
#     drain leaves no time within the termination grace period (drain + shutdownTimeout,
#     capped by the platform: 10 s on Cloud Run, 120 s on ECS) to finish in-flight requests.
#   why-it-matters: >-
#     Load balancers take a few seconds to stop sending requests to an instance that is
#     shutting down. Without draining, those requests fail at every deployment, scale-down
#     and node drain; a drain that eats the whole grace period kills requests that were
#     already being served.
#   example: |
#     service:
#       ports: [{port: 8080}]
#       drain: 0s
#   use-instead: |
#     service:
#       drain: 10s            # keep serving while load balancers catch up
#       shutdownTimeout: 20s  # then finish in-flight work after SIGTERM
package shipgen.policies.abrupt_shutdown

import rego.v1

draining := input.facts.draining

deny contains finding if {
	draining.serves_traffic
	draining.drain_s == 0
	finding := {
		"msg": "service.drain is 0s: instances stop while load balancers still send them requests, which fail",
		"path": ["service", "drain"],
	}
}

deny contains finding if {
	draining.serves_traffic
	draining.drain_s > 0
	draining.time_after_drain_s <= 0
	finding := {
		"msg": sprintf("draining takes %s and the instance is killed after %s: no time is left to finish in-flight requests", [draining.drain, draining.grace]),
		"path": ["service", "drain"],
	}
}
