# METADATA
# title: Release events go nowhere
# custom:
#   code: SG502
#   name: release-without-notification
#   severity: warning
#   severity-outside-production: info
#   what-it-flags: >-
#     A release with no notification route: `notify` names no Slack or Teams channel,
#     PagerDuty service or webhook.
#   why-it-matters: >-
#     Automatic rollbacks, halted analyses and manual gates waiting for approval are events
#     someone must hear about. Without a route, a rollback happens silently and a manual gate
#     times out unseen.
#   example: |
#     notify: {}
#   use-instead: |
#     notify:
#       slack: "#payments-deploys"
#       pagerduty: checkout-prod
package shipgen.policies.release_without_notification

import rego.v1

deny contains finding if {
	not routed(input.release.notify)
	finding := {
		"msg": "notify names no channel (slack, msteams, pagerduty or webhook): rollbacks and waiting gates go unnoticed",
		"path": ["notify"],
	}
}

routed(notify) if {
	some key in ["slack", "msteams", "pagerduty", "webhook"]
	notify[key] != ""
}
