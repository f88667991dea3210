"""The rollout model: what a delivery controller will do with a release, as data.

Each controller package (`targets/<controller>/rollout.py`) reads the artifacts it emits and
returns one `Rollout` (`model.py`): the phases in order, each with the share of traffic on the
new version and what ends it (a timer, a number of passing checks, readiness, a person), and
the checks that judge the new version (their interval, count, failure limit, how a provider
error counts, how long the controller takes to act, and what a failure does).

One simulator (`simulate.py`) runs any `Rollout` under a scenario (`healthy`,
`fail-from-start`, `fail-at T`, `provider-down`) and returns a `Plan`: the timeline of events,
the weights over time, the outcome, and the figures a reviewer reads first (time to full
rollout, time to rollback, exposure, requests served by a bad version). `render.py` prints a
plan as text, Markdown, JSON or SVG.

Everything that states a controller's timing reads this model: the runbook's sentences, the
lint facts (`facts/rollout.py`) and `shipgen plan`. Nothing here knows a controller by name.
"""
