# METADATA
# title: No smoke test before traffic
# custom:
#   code: SG506
#   name: missing-smoke-test
#   severity: warning
#   severity-outside-production: info
#   what-it-flags: >-
#     A service with ports (it receives traffic) and no `smoke` tests.
#   why-it-matters: >-
#     Probes tell whether an instance is up, not whether it works: a wrong configuration, a
#     missing route or a broken dependency passes every probe. A smoke test against the new
#     version, before users reach it, catches those in seconds.
#   example: |
#     service:
#       ports: [{port: 8080}]
#     # no smoke tests
#   use-instead: |
#     smoke:
#       - {name: homepage, http: {path: /, expect: 200}}
#       - {name: api, command: [./scripts/smoke.sh, --env, production]}
package shipgen.policies.missing_smoke_test

import rego.v1

deny contains finding if {
	input.facts.health.serves_traffic
	input.facts.health.smoke_tests == 0
	finding := {
		"msg": "no smoke test runs against the new version before it receives traffic",
		"path": ["smoke"],
	}
}
