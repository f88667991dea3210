"""What the HAProxy and nginx delivery modules share: the runbook's words for the plan, the
deploy step, smoke tests against one colour's instances, and notes."""

from __future__ import annotations

from ...durations import human
from ...model import Release
from ...shell import command
from .script import checked_gates, pre_traffic_check


def plan_text(release: Release) -> str:
    vm = release.platform.vm
    parts = []
    for step in vm.steps:
        actual = vm.weights(vm.new, step.percent).actual_percent
        share = f"{step.percent}%" + (f" (weights give {actual:g}%)" if actual != step.percent else "")
        parts.append(share + (f" for {human(step.hold_s)}" if step.hold_s else ""))
    return " → ".join(parts)


def deploy_step(release: Release):
    from ...procedure import Step

    vm = release.platform.vm
    servers = ", ".join(vm.servers(vm.new))
    return Step(f"Deploy {release.service.image} to the {vm.new} instances ({servers}) with your configuration "
                f"management; they get no requests yet ({vm.live} serves all traffic).")


def smoke_command(release: Release, test) -> tuple:
    """A smoke test against each instance of the new colour, directly."""
    vm = release.platform.vm
    lines = []
    for server in vm.servers(vm.new):
        if test.http_path is not None:
            lines.append(command("curl", "--silent", "--output", "/dev/null", "--write-out", "%{http_code}\\n",
                                 "--max-time", str(test.timeout_s), "--request", test.method,
                                 f"http://{server}{test.http_path}"))
        else:
            lines.append(f"SHIPGEN_TARGET_URL={command('http://' + server)} "
                         f"{command('timeout', str(test.timeout_s), *test.command)}")
    return "\n".join(lines), (f"prints {test.expect}" if test.http_path is not None else "exits 0")


def automatic_rollback(release: Release, script: str) -> str:
    vm = release.platform.vm
    gates = checked_gates(release)
    if not release.rollback.automatic or not (gates or release.smoke):
        return ""
    what = " and ".join(part for part in (f"the gates {', '.join(gate.name for gate in gates)}" if gates else "",
                                          f"{len(release.smoke)} smoke test(s)" if release.smoke else "") if part)
    before = (f"runs the smoke tests against each {vm.new} instance before any traffic (again every "
              f"{human(vm.check_interval_s)} until they pass), then " if pre_traffic_check(release) else "")
    return (f"{script} {before}evaluates {what} every {human(vm.check_interval_s)} while a share is held and, after "
            f"{release.rollback.max_failed_checks + 1} failed checks in a row, sends all traffic back to {vm.live} "
            "and exits 1. Nothing watches once the script has finished.")


def notes(release: Release) -> tuple:
    vm = release.platform.vm
    result = [f"After a completed switch {vm.new} is live: set platform.vm.live to {vm.new} in the spec before the "
              "next release, so the next one goes to the other colour.",
              "switch.sh needs bash, curl, socat (HAProxy) and jq (gates) on the machine it runs on."]
    if vm.load_balancer == "nginx" and release.gates:
        result.append(f"Open-source nginx exports no per-upstream metrics: the built-in gates read the application's "
                      f"own http_requests_total, scraped with the labels namespace=\"{release.namespace}\" and "
                      f"service=\"{release.name}-blue\" / \"{release.name}-green\".")
    return tuple(result)
