"""Properties of the nearest faithful traffic shift, over many canary step lists (hypothesis):

- the new version never serves more traffic than the spec allows at that moment;
- it reaches all traffic exactly when the spec says (pauses in whole minutes);
- a shift that is not the spec's own steps comes with a warning naming the dropped steps,
  and one that is comes with none.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aws_support import ECS, LAMBDA, check, errors, spec, warnings

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def canary_steps(draw):
    weights = sorted(draw(st.sets(st.integers(1, 99), min_size=1, max_size=6)))
    minutes = draw(st.lists(st.integers(1, 30), min_size=len(weights), max_size=len(weights)))
    return [{"weight": weight, "pause": f"{minute}m"} for weight, minute in zip(weights, minutes)]


def share_at(steps, second: int) -> int:
    """The share of traffic on the new version `second` seconds after the first shift."""
    elapsed = 0
    for share, hold in steps:
        if second < elapsed + hold or hold == 0:
            return share
        elapsed += hold
    return 100


@SETTINGS
@given(steps=canary_steps(), on_lambda=st.booleans())
def test_the_shift_never_exceeds_the_spec_and_ends_on_time(tmp_path, steps, on_lambda):
    release, diagnostics = check(tmp_path, spec(LAMBDA if on_lambda else ECS,
                                                strategy={"type": "canary", "steps": steps}))
    assert errors(diagnostics) == []
    shift = release.platform.aws.shift
    wanted = tuple((step["weight"], int(step["pause"][:-1]) * 60) for step in steps) + ((100, 0),)
    assert shift.total_s == sum(hold for _, hold in wanted)
    for second in range(0, shift.total_s + 60, 30):
        assert share_at(shift.steps, second) <= share_at(wanted, second)
    approximated = warnings(diagnostics, "approximated-steps")
    if shift.steps == wanted:
        assert approximated == []
    else:
        (warning,) = approximated
        assert shift.percentage == steps[0]["weight"]
        for step in steps[1:]:
            assert f"{step['weight']}%" in warning.message
