# METADATA
# title: Services that depend on each other in a cycle
# custom:
#   code: SG102
#   name: dependency-cycle
#   severity: error
#   what-it-flags: >-
#     A `dependsOn` entry that closes a cycle across the release specs given: the service
#     depends, directly or through others, on a service that depends back on it.
#   why-it-matters: >-
#     With a cycle there is no order in which the services can be released or started so that
#     every dependency is already up; a rollback of one can break the others, and an outage
#     spreads around the loop.
#   example: |
#     # orders.yaml
#     dependsOn: [checkout]
#     # checkout.yaml
#     dependsOn: [orders]
#   use-instead: |
#     Break the loop: make one direction asynchronous (a queue or an event), or move the shared
#     part into a third service both depend on.
#     # checkout.yaml
#     dependsOn: []        # publishes events that orders consumes
package shipgen.policies.dependency_cycle

import rego.v1

deny contains finding if {
	some dependency in input.facts.dependencies.dependencies
	count(dependency.cycle) > 0
	finding := {
		"msg": sprintf("depends on %s, which depends back on this service: %s", [dependency.name, dependency.cycle_text]),
		"path": dependency.path,
	}
}
