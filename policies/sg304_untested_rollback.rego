# METADATA
# title: Rollback never tested
# custom:
#   code: SG304
#   name: untested-rollback
#   severity: warning
#   options:
#     max-age-days:
#       default: 90
#       description: How many days ago the last rollback drill (rollback.lastTested) may be.
#   what-it-flags: >-
#     A release with no evidence that its rollback works: no `rollback.testStep`, and no
#     `rollback.lastTested` date within `max-age-days` (a date in the future also counts as
#     no evidence).
#   why-it-matters: >-
#     A rollback that has never been exercised fails when it is needed most: missing
#     permissions, an old image garbage-collected, a migration that cannot be undone. Drills
#     find those problems on a quiet day.
#   example: |
#     rollback: {automatic: true}
#   use-instead: |
#     rollback:
#       automatic: true
#       lastTested: "2026-11-02"                 # date of the last drill
#       testStep: ci job rollback-drill-checkout # or a job that exercises it on every release
package shipgen.policies.untested_rollback

import rego.v1

options := input.options["untested-rollback"]

drill := input.facts.rollback

deny contains finding if {
	drill.test_step == ""
	not drill.dated
	finding := {
		"msg": "no rollback drill is recorded: set rollback.lastTested to the date of the last drill, or rollback.testStep to the job that exercises the rollback",
		"path": ["rollback", "lastTested"],
	}
}

deny contains finding if {
	drill.test_step == ""
	drill.dated
	drill.age_days > options["max-age-days"]
	finding := {
		"msg": sprintf("the last rollback drill was %d days ago (%s); at most %d days allowed", [drill.age_days, drill.last_tested, options["max-age-days"]]),
		"path": ["rollback", "lastTested"],
	}
}

deny contains finding if {
	drill.test_step == ""
	drill.in_future
	finding := {
		"msg": sprintf("rollback.lastTested (%s) is after today (%s)", [drill.last_tested, drill.today]),
		"path": ["rollback", "lastTested"],
	}
}
