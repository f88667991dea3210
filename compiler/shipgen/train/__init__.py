"""The release train: every release of one build, in dependency order, environment by environment.

    releases ──environments──▶ stages (the promotion order)      order.py
             ──dependsOn─────▶ waves per stage (a DAG)          graph.py
             ──rollout model─▶ each release's healthy duration, the train's timeline  plan.py
             ──procedures────▶ the CI pipeline that runs it     scripts.py (the jobs' shell), workflow.py
                                                                (GitHub Actions), gitlab.py (GitLab CI)
                               RELEASE-TRAIN.md                 report.py + templates/release-train.md.j2
    render.py gathers the three artifacts (paths relative to OUT).

A train exists when a build covers two or more specs (with one spec every dependency names a
service outside the build, as for SG101). `plan_train(checked)` returns a `Train` with its
diagnostics: an unknown service (SG007) or a dependency cycle (SG008, one diagnostic per spec on
the cycle, each naming every other) is an error and the build writes nothing; a production
release that nothing earlier verified is a warning (SG009), as is an environment outside the
promotion order (SG011); specs that disagree on the order are an error (SG010).

The train's warnings (codes.py) are lint findings as well when the build lints: the lint config's
`disable`/`severity` and inline ignores apply to them as to any policy's. This file imports
nothing, so that lint can read those codes without loading the train.
"""
