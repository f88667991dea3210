"""What a rollback drill does on each delivery controller, as bash functions for `drill.sh`.

Every platform gives the script the same four functions, so the drill loop (`script.py`) is one:

- `serving`: prints what serves users now (an image, a task definition, an alias version, the
  revisions with traffic); the drill compares it before and after;
- `deploy_failing`: puts a deliberately failing version into the non-production place;
- `verdict`: sets `state` to `waiting` (the controller has not picked the version up), `running`,
  `rolled-back`, `halted` (stopped without rolling back) or `promoted` (the bad version serves);
- `roll_back`: the rollback a person runs (used when the plan says nothing rolls back by itself).

Coordinates that differ between production and the drill (namespace, environment, project,
resource group) are bash variables the script reads from the environment; every value from the
spec is quoted with `shell.quote`. The timing is not here: it comes from the rollout model
(`shipgen.rollout.plan`), as in `shipgen plan`.
"""

from __future__ import annotations

from typing import NamedTuple

from ...model import Release
from ...shell import quote

IMAGE = ("DRILL_IMAGE", "an image of this service that fails its smoke tests and gates (e.g. answers 500 on every "
                        "path, or exits at start)")


class DrillPlatform(NamedTuple):
    controller: str  # in words
    tools: tuple  # commands the script needs on PATH
    place: str  # bash variable naming the non-production place, e.g. DRILL_NAMESPACE
    place_what: str  # in words: "Kubernetes namespace"
    production_place: str  # the place the release itself uses (refused when the release is production)
    inputs: tuple  # ((variable, what it is), ...) the operator must set besides `place`
    failing: str  # how the failing version is made, in words
    prepare: str  # what must exist in the non-production place before the drill, in words
    functions: str  # bash: serving, deploy_failing, verdict (sets `state`), roll_back
    variables: tuple = ()  # ((bash name, value from the spec), ...), quoted by the script
    lines: tuple = ()  # further bash assignments, already quoted
    before: str = ""  # bash run once the variables are checked, before anything is deployed


def has_drill(module_name: str) -> bool:
    return module_name in _BUILDERS


def drill_platform(release: Release, module_name: str) -> DrillPlatform:
    """The drill of the release's delivery module (`module_name`: e.g. `flagger.target`)."""
    key = module_name.rsplit("targets.", 1)[-1]
    return _BUILDERS[key](release)


# ------------------------------------------------------------------------------ Kubernetes

def _kubectl(*words) -> str:
    return 'kubectl --namespace "$DRILL_NAMESPACE" ' + " ".join(words)


def _kubernetes_place(release: Release) -> dict:
    return {"place": "DRILL_NAMESPACE", "place_what": "Kubernetes namespace",
            "production_place": release.namespace}


def _deployment(release: Release) -> DrillPlatform:
    from ..kubernetes.manifests import progress_deadline_s

    deadline = progress_deadline_s(release)
    progressing = _kubectl("get deployment", '"$name"', "--output",
                           "'jsonpath={.status.conditions[?(@.type==\"Progressing\")].reason}'")
    functions = f"""\
serving() {{
  {_kubectl("get deployment", '"$name"', "--output 'jsonpath={.spec.template.spec.containers[*].image}'")}
}}

deploy_failing() {{
  {_kubectl("set image", '"deployment/$name"', '"*=$DRILL_IMAGE"')}
}}

verdict() {{  # a Deployment never rolls back by itself: it halts at its progress deadline
  local reason
  reason="$({progressing})"
  case "$reason" in
    ProgressDeadlineExceeded) state=halted ;;
    NewReplicaSetAvailable) if [ "$(serving)" = "$DRILL_IMAGE" ]; then state=promoted; else state=waiting; fi ;;
    *) state=running ;;
  esac
}}

roll_back() {{
  {_kubectl("rollout undo", '"deployment/$name"')}
  {_kubectl("rollout status", '"deployment/$name"', f"--timeout={deadline}s")}
}}
"""
    return DrillPlatform("Kubernetes Deployment (rolling update)", ("kubectl",), **_kubernetes_place(release),
                         inputs=(IMAGE,), failing="the Deployment's image replaced by DRILL_IMAGE",
                         prepare=f"this release's `kubernetes/` manifests applied to the namespace (with "
                                 f"`metadata.namespace` changed), running the current version",
                         functions=functions, variables=(("name", release.name),))


def _flagger(release: Release) -> DrillPlatform:
    open_gate = _kubectl("exec deploy/flagger-loadtester -- curl --silent --show-error --request POST",
                         '--data "{\\"name\\":\\"$name\\",\\"namespace\\":\\"$DRILL_NAMESPACE\\"}"',
                         "http://localhost:8080/rollback/open")
    functions = f"""\
serving() {{  # Flagger's primary Deployment serves users
  {_kubectl("get deployment", '"$name-primary"', "--output 'jsonpath={.spec.template.spec.containers[*].image}'")}
}}

deploy_failing() {{  # a change to the target Deployment starts Flagger's analysis
  {_kubectl("set image", '"deployment/$name"', '"*=$DRILL_IMAGE"')}
}}

verdict() {{
  local phase
  phase="$({_kubectl("get canary", '"$name"', "--output 'jsonpath={.status.phase}'")})"
  case "$phase" in
    Failed) state=rolled-back ;;
    Succeeded) if [ "$(serving)" = "$DRILL_IMAGE" ]; then state=promoted; else state=waiting; fi ;;
    Progressing|Promoting|Finalising|Waiting|WaitingPromotion) state=running ;;
    *) state=waiting ;;
  esac
}}

roll_back() {{  # what a person does: open the loadtester's rollback gate
  {open_gate}
}}
"""
    return DrillPlatform("Flagger", ("kubectl",), **_kubernetes_place(release), inputs=(IMAGE,),
                         failing="the target Deployment's image replaced by DRILL_IMAGE; its smoke tests and "
                                 "gates fail, so Flagger's analysis fails",
                         prepare="Flagger and the flagger-loadtester installed; this release's `flagger/` "
                                 "manifests applied to the namespace (with `metadata.namespace` changed) and the "
                                 "Canary `Succeeded` on the current version",
                         functions=functions, variables=(("name", release.name),))


def _argo(release: Release) -> DrillPlatform:
    stable_rs = _kubectl("get rollout", '"$name"', "--output 'jsonpath={.status.stableRS}'")
    functions = f"""\
serving() {{  # the images of the stable ReplicaSet
  local stable
  stable="$({stable_rs})"
  {_kubectl("get replicasets", '--selector "rollouts-pod-template-hash=$stable"',
            "--output 'jsonpath={.items[*].spec.template.spec.containers[*].image}'")}
}}

deploy_failing() {{
  kubectl argo rollouts set image "$name" "*=$DRILL_IMAGE" --namespace "$DRILL_NAMESPACE"
}}

verdict() {{
  local phase aborted
  phase="$({_kubectl("get rollout", '"$name"', "--output 'jsonpath={.status.phase}'")})"
  aborted="$({_kubectl("get rollout", '"$name"', "--output 'jsonpath={.status.abort}'")})"
  if [ "$aborted" = "true" ]; then
    state=rolled-back
    return
  fi
  case "$phase" in
    Healthy) if [ "$(serving)" = "$DRILL_IMAGE" ]; then state=promoted; else state=waiting; fi ;;
    Progressing|Paused) state=running ;;
    Degraded) state=halted ;;
    *) state=waiting ;;
  esac
}}

roll_back() {{
  kubectl argo rollouts abort "$name" --namespace "$DRILL_NAMESPACE"
}}
"""
    return DrillPlatform("Argo Rollouts", ("kubectl", "kubectl-argo-rollouts"), **_kubernetes_place(release),
                         inputs=(IMAGE,), failing="the Rollout's image replaced by DRILL_IMAGE; its smoke tests "
                                                 "and analysis fail, so Argo Rollouts aborts the update",
                         prepare="the Argo Rollouts controller installed; this release's `argo-rollouts/` "
                                 "manifests applied to the namespace (with `metadata.namespace` changed) and the "
                                 "Rollout `Healthy` on the current version",
                         functions=functions, variables=(("name", release.name),))


# ------------------------------------------------------------------------------ AWS

def _aws_names(release: Release) -> tuple:
    """Bash assignments for the names the drill environment's build uses (`<name>-<environment>`)."""
    from ..aws.common import base_name

    base = base_name(release)
    alarms = []
    for name in release.platform.aws.alarm_names:
        alarms.append('"$base"' + quote(name[len(base):]) if name.startswith(base) and name != base else quote(name))
    return base, alarms


def _aws_common(release: Release) -> tuple:
    base, alarms = _aws_names(release)
    region = quote(release.platform.aws.region)
    lines = [f"region={region}", 'base="$name-$DRILL_ENVIRONMENT"', f"alarms=({' '.join(alarms)})"]
    force = """\
force_alarms() {  # CodeDeploy (or ECS) stops the deployment once a rollback alarm is in ALARM
  local alarm
  for alarm in "${alarms[@]}"; do
    aws cloudwatch set-alarm-state --alarm-name "$alarm" --state-value ALARM \\
      --state-reason "shipgen rollback drill" --region "$region"
  done
}
"""
    deploy = """\
deploy_failing() {  # the drill environment's deploy script, in the background; the alarms are forced once it runs
  "$DRILL_BUILD/aws/deploy.sh" >"$DRILL_LOG" 2>&1 &
}
"""
    return lines, force + "\n" + deploy


def _aws(release: Release) -> DrillPlatform:
    aws = release.platform.aws
    lines, shared = _aws_common(release)
    code_deploy = aws.deployment != "ECS_ROLLING"
    if release.platform.kind == "aws-ecs":
        lines.append(f"cluster={quote(aws.cluster)}")
    if release.platform.kind == "aws-lambda":
        fn = aws.function
        default = f"{release.name}-{release.metadata.environment}"
        lines.append('function_name="$base"' if fn.function_name == default else f"function_name={quote(fn.function_name)}")
        lines.append(f"alias={quote(fn.alias)}")
        serving = ('aws lambda get-alias --function-name "$function_name" --name "$alias" '
                   "--query '[FunctionVersion,RoutingConfig]' --output text --region \"$region\"")
    elif release.platform.kind == "aws-ecs" and code_deploy:
        serving = ('aws ecs describe-services --cluster "$cluster" --services "$name" '
                   "--query 'services[0].taskSets[?status==`PRIMARY`].taskDefinition' --output text --region \"$region\"")
    elif release.platform.kind == "aws-ecs":
        serving = ('aws ecs describe-services --cluster "$cluster" --services "$name" '
                   "--query 'services[0].taskDefinition' --output text --region \"$region\"")
    else:
        serving = ('aws deploy get-deployment-group --application-name "$base" --deployment-group-name "$base" '
                   "--query 'deploymentGroupInfo.targetRevision' --output text --region \"$region\"")
    if code_deploy:
        verdict = """\
latest_deployment() {
  aws deploy list-deployments --application-name "$base" --deployment-group-name "$base" --max-items 1 \\
    --query 'deployments[0]' --output text --region "$region"
}

verdict() {
  local id status
  id="$(latest_deployment)"
  if [ -z "${drill_deployment:-}" ]; then
    if [ "$id" = "$before_deployment" ] || [ "$id" = "None" ]; then
      state=waiting
      return
    fi
    drill_deployment="$id"
  fi
  status="$(aws deploy get-deployment --deployment-id "$drill_deployment" --query 'deploymentInfo.status' \\
    --output text --region "$region")"
  case "$status" in
    Succeeded) state=promoted ;;
    Stopped|Failed) state=rolled-back ;;
    *) force_alarms >/dev/null; state=running ;;
  esac
}

roll_back() {
  aws deploy stop-deployment --deployment-id "$drill_deployment" --auto-rollback-enabled --region "$region"
}
"""
        before = "before_deployment=\"$(latest_deployment)\""
        controller = f"AWS CodeDeploy ({release.platform.kind.removeprefix('aws-').upper()})"
    else:
        verdict = """\
primary_deployment() {
  aws ecs describe-services --cluster "$cluster" --services "$name" \\
    --query 'services[0].deployments[?status==`PRIMARY`].id' --output text --region "$region"
}

verdict() {
  local id state
  id="$(primary_deployment)"
  if [ -z "${drill_deployment:-}" ]; then
    if [ "$id" = "$before_deployment" ]; then
      state=waiting
      return
    fi
    drill_deployment="$id"
  fi
  state="$(aws ecs describe-services --cluster "$cluster" --services "$name" \\
    --query "services[0].deployments[?id=='$drill_deployment'].rolloutState" --output text --region "$region")"
  case "$state" in
    COMPLETED) state=promoted ;;
    FAILED|"") state=rolled-back ;;
    *) force_alarms >/dev/null; state=running ;;
  esac
}

roll_back() {
  echo "ECS rolls back by itself; to return by hand, redeploy the previous task definition" >&2
  return 1
}
"""
        before = "before_deployment=\"$(primary_deployment)\""
        controller = "Amazon ECS rolling update (circuit breaker and alarms)"
    functions = f"serving() {{\n  {serving}\n}}\n\n{shared}\n{verdict}"
    alarms_text = ", ".join(f"`{name}`" for name in aws.alarm_names) or "none"
    return DrillPlatform(controller, ("aws",), "DRILL_ENVIRONMENT", "environment (metadata.environment of a "
                         "non-production build of this spec)", release.metadata.environment,
                         inputs=(("DRILL_BUILD", "the release folder of that build (holding aws/deploy.sh), its "
                                                 "service.image a failing one"),),
                         failing=f"a deployment of the drill build whose rollback alarms ({alarms_text}, renamed for "
                                 "the environment) are forced into ALARM with `aws cloudwatch set-alarm-state` "
                                 "while it runs",
                         prepare="the stack of that build deployed once, serving the current version",
                         functions=functions, variables=(("name", release.name),),
                         lines=tuple(lines), before=before)


# ------------------------------------------------------------------------------ GCP and Azure

def _in_background(call: str, path: str = "") -> str:
    """Bash: run a shipgen script (the controller) in the background, its output in DRILL_LOG and
    its exit status in DRILL_LOG.status. The script's failure is the verdict the drill expects, so
    it is caught (`|| status=$?`): under `set -e` a bare failing command would end the subshell
    before the status is written, and the drill would wait for a verdict that never comes."""
    env = f'PATH="{path}" ' if path else ""
    return (f'( status=0; {env}{call} >"$DRILL_LOG" 2>&1 || status=$?; echo "$status" >"$DRILL_LOG.status" ) &\n'
            "  controller_pid=$!")


SCRIPT_VERDICT = """\
verdict() {  # from the script's exit status and output: 'rolling back' is what it prints when it does
  if [ ! -s "$DRILL_LOG.status" ]; then
    state=running
  elif [ "$(cat "$DRILL_LOG.status")" = 0 ]; then
    state=promoted
  elif grep --quiet '^rolling back' "$DRILL_LOG"; then
    state=rolled-back
  else
    state=halted
  fi
}
"""


def _script_platform(release: Release, folder: str, controller: str, place: str, place_what: str,
                     production_place: str, serving: str, tools: tuple, variables: tuple) -> DrillPlatform:
    functions = f"""\
serving() {{
  {serving}
}}

deploy_failing() {{  # the drill build's rollout script is the controller; its exit status is the verdict
  {_in_background(f'"$DRILL_BUILD/{folder}/rollout.sh" start')}
}}

{SCRIPT_VERDICT}
roll_back() {{  # once the rollout script has stopped (it does, its checks failing), as a person would
  wait "$controller_pid" || true
  "$DRILL_BUILD/{folder}/rollout.sh" rollback
}}
"""
    return DrillPlatform(controller, tools + ("timeout",), place, place_what, production_place,
                         inputs=(("DRILL_BUILD", f"the release folder of a non-production build of this spec "
                                                 f"(holding {folder}/rollout.sh) in that {place_what}, its "
                                                 "service.image one that fails the smoke tests"),),
                         failing=f"`{folder}/rollout.sh start` of the drill build, whose smoke tests fail",
                         prepare=f"the drill build's service deployed once in that {place_what}, serving the "
                                 "current version", functions=functions, variables=variables)


def _cloud_run(release: Release) -> DrillPlatform:
    gcp = release.platform.gcp
    serving = ('gcloud run services describe "$name" --project "$DRILL_PROJECT" --region "$region" '
               "--format 'value(status.traffic)'")
    return _script_platform(release, "cloud-run", "Cloud Run (shipgen rollout script)", "DRILL_PROJECT",
                            "Google Cloud project", gcp.project, serving, ("gcloud",),
                            (("name", release.name), ("region", gcp.region)))


def _traffic_director(release: Release) -> DrillPlatform:
    gcp = release.platform.gcp
    serving = ('gcloud compute url-maps describe "$url_map" --project "$DRILL_PROJECT" --global '
               "--format 'value(pathMatchers[0].routeRules[1].routeAction.weightedBackendServices)'")
    return _script_platform(release, "traffic-director", "Traffic Director (shipgen rollout script)", "DRILL_PROJECT",
                            "Google Cloud project", gcp.project, serving, ("gcloud",),
                            (("url_map", gcp.traffic_director.url_map),))


def _container_apps(release: Release) -> DrillPlatform:
    azure = release.platform.azure
    serving = ('az containerapp ingress traffic show --name "$name" --resource-group "$DRILL_RESOURCE_GROUP" '
               "--query '[?weight > `0`].[revisionName,label,weight]' --output tsv")
    return _script_platform(release, "container-apps", "Azure Container Apps (shipgen rollout script)",
                            "DRILL_RESOURCE_GROUP", "Azure resource group", azure.resource_group, serving, ("az",),
                            (("name", release.name),))


def _app_service(release: Release) -> DrillPlatform:
    azure = release.platform.azure
    serving = ('az webapp config container show --name "$app" --resource-group "$DRILL_RESOURCE_GROUP" '
               "--query \"[?name=='DOCKER_CUSTOM_IMAGE_NAME'].value\" --output tsv")
    return _script_platform(release, "app-service", "Azure App Service slots (shipgen rollout script)",
                            "DRILL_RESOURCE_GROUP", "Azure resource group", azure.resource_group, serving, ("az",),
                            (("app", azure.app_service.app),))


def _traffic_manager(release: Release) -> DrillPlatform:
    azure = release.platform.azure
    serving = ('az network traffic-manager endpoint list --resource-group "$DRILL_RESOURCE_GROUP" '
               '--profile-name "$profile" --query "sort([?endpointStatus==\'Enabled\' && weight > \\`0\\`].name)" '
               "--output tsv")
    return _script_platform(release, "traffic-manager", "Azure Traffic Manager (shipgen rollout script)",
                            "DRILL_RESOURCE_GROUP", "Azure resource group", azure.resource_group, serving, ("az",),
                            (("profile", azure.traffic_manager.profile),))


def _cloud_deploy(release: Release) -> DrillPlatform:
    gcp = release.platform.gcp
    deploy = gcp.cloud_deploy
    stage = deploy.stages[-1]
    functions = """\
rollouts() {  # the drill release's rollouts to the drill target: state, and whether it is a rollback
  gcloud deploy rollouts list --release "$drill_release" --delivery-pipeline "$pipeline" \\
    --region "$region" --project "$DRILL_PROJECT" --filter "targetId=$DRILL_TARGET" --format 'value(state)'
}

serving() {  # the release the target's last successful rollout deployed
  gcloud deploy targets describe "$DRILL_TARGET" --delivery-pipeline "$pipeline" --region "$region" \\
    --project "$DRILL_PROJECT" --format 'value("Latest release")'
}

deploy_failing() {
  drill_release="drill-$(date -u +%Y%m%d%H%M%S)"
  gcloud deploy releases create "$drill_release" --delivery-pipeline "$pipeline" --source "$DRILL_BUILD/cloud-deploy" \\
    --to-target "$DRILL_TARGET" --region "$region" --project "$DRILL_PROJECT"
}

verdict() {
  case "$(rollouts)" in
    *FAILED*|*HALTED*|*CANCELLED*) state=halted ;;
    *SUCCEEDED*) state=promoted ;;
    "") state=waiting ;;
    *) state=running ;;
  esac
}

roll_back() {
  gcloud deploy targets rollback "$DRILL_TARGET" --delivery-pipeline "$pipeline" --region "$region" \\
    --project "$DRILL_PROJECT" --quiet
}
"""
    return DrillPlatform("Google Cloud Deploy", ("gcloud",), "DRILL_PROJECT", "Google Cloud project", stage.project,
                         inputs=(("DRILL_BUILD", "the release folder of a build of this spec (holding cloud-deploy/) "
                                                 "whose service.image fails the verify job and smoke tests"),
                                 ("DRILL_TARGET", "a non-production Cloud Deploy target of the pipeline "
                                                  f"(e.g. {deploy.stages[0].target})")),
                         failing="a Cloud Deploy release of the drill build, rolled out to DRILL_TARGET",
                         prepare="the pipeline applied in the project and DRILL_TARGET serving a good release",
                         functions=functions, variables=(("pipeline", deploy.pipeline), ("region", stage.region)))


# ------------------------------------------------------------------------------ VMs behind HAProxy or nginx

FORCE_FAILING = r"""
forced_failure_path() {  # a folder whose curl answers nothing, first on switch.sh's PATH: every smoke test
  local folder="$DRILL_LOG.forced"  # and every gate it evaluates fails; the load balancer's health checks do not
  mkdir -p "$folder"
  printf '#!/bin/sh\necho "drill: forced failure: curl $*" >&2\nexit 7\n' >"$folder/curl"
  chmod +x "$folder/curl"
  echo "$folder"
}
"""

HAPROXY_COLOURS = ("switch status | awk '$3 == \"op=2\" && $4 == \"admin=0\" && $5 != \"weight=0\" "
                   "{ sub(/-[0-9]+$/, \"\", $1); print $1 }' | sort -u | paste -s -d ' ' -")
NGINX_COLOURS = "switch status"


def _vm_url(listen: str) -> str:
    """The load balancer's own address, from the machine it runs on."""
    host, _, port = listen.rpartition(":")
    host = {"*": "127.0.0.1", "0.0.0.0": "127.0.0.1", "[::]": "[::1]"}.get(host, host)
    return f"http://{host}:{port}"


def _vm(release: Release) -> DrillPlatform:
    from ..vm.settings import LOAD_BALANCERS

    vm = release.platform.vm
    lb = vm.load_balancer
    http_tests = [test for test in release.smoke if test.http_path is not None]
    path, expect = (http_tests[0].http_path, str(http_tests[0].expect)) if http_tests else ("/", "")
    colours = HAPROXY_COLOURS if lb == "haproxy" else NGINX_COLOURS
    colours_what = ("the colours HAProxy sends requests to (runtime API: up, not drained, weight above 0)"
                    if lb == "haproxy" else "the share nginx has installed (switch.sh status)")
    functions = f"""\
switch() {{  # the drill build's switch.sh: the controller
  "$DRILL_BUILD/{lb}/switch.sh" "$@"
}}

answer() {{  # what a request through the load balancer gets
  curl --silent --output /dev/null --write-out '%{{http_code}}' --max-time 10 "$url$path" || true
}}

serving() {{  # {colours_what}, and the answer through it
  local colours
  colours="$({colours})"
  echo "$colours; GET $path through the load balancer: $(answer)"
}}
{FORCE_FAILING}
deploy_failing() {{  # switch.sh start, in the background; its exit status and output are the verdict
  local path_for_switch="$PATH"
  if [ "$DRILL_FAILING" = forced ]; then
    path_for_switch="$(forced_failure_path):$PATH"
  fi
  {_in_background('switch start', '$path_for_switch')}
}}

{SCRIPT_VERDICT}
roll_back() {{  # once switch.sh has stopped for a person (rollback.automatic is false), as the runbook says
  wait "$controller_pid" || true
  switch rollback "$live"
}}
"""
    instances = " ".join(quote(server) for colour in ("blue", "green") for server in vm.servers(colour))
    lines = (f"production_instances=({instances})", f"default_url={quote(_vm_url(vm.listen))}",
             'url="${DRILL_URL:-$default_url}"', f"path={quote(path)}")
    before = f"""\
if [ ! -x "$DRILL_BUILD/{lb}/switch.sh" ]; then
  echo "drill: DRILL_BUILD has no {lb}/switch.sh: $DRILL_BUILD" >&2
  exit 2
fi
case "${{DRILL_FAILING:=forced}}" in
  forced | version) ;;
  *) echo "drill: DRILL_FAILING is forced or version, not '$DRILL_FAILING'" >&2; exit 2 ;;
esac
if [ "$production" = true ]; then
  for instance in "${{production_instances[@]}}"; do
    if grep --quiet --recursive --word-regexp --fixed-strings -- "$instance" "$DRILL_BUILD/{lb}"; then
      echo "drill: the load balancer of DRILL_BUILD sends requests to $instance, where the release runs in" \\
        "production; drill elsewhere" >&2
      exit 2
    fi
  done
fi
if ! switch status >/dev/null; then
  echo "drill: cannot read the load balancer of DRILL_BUILD ({lb}/switch.sh status)" >&2
  exit 2
fi"""
    tools = ("curl",) + (("jq",) if release.rollback_gates else ()) + (("socat",) if lb == "haproxy" else ("nginx",))
    name = LOAD_BALANCERS[lb]
    expected = f" (it answers {expect} when the old version serves)" if expect else ""
    return DrillPlatform(
        f"{name} blue/green ({lb}/switch.sh)", tools, "DRILL_ENVIRONMENT",
        "environment", release.metadata.environment,
        inputs=(("DRILL_BUILD", f"the release folder of a build of this spec for that environment (holding "
                                f"{lb}/switch.sh), on the machine of its {name}; none of its instances may be "
                                "an instance of this release"),),
        failing=f"`{lb}/switch.sh start` of the drill build, from its live colour to the other, with every check "
                "failing: by default (`DRILL_FAILING=forced`) each smoke test and gate the script evaluates gets no "
                "answer (a `curl` that answers nothing comes first on its PATH); with `DRILL_FAILING=version` the "
                "other colour runs a deliberately failing version that fails the smoke tests"
                + (" (and still passes HAProxy's health checks, else switch.sh stops before any check)"
                   if lb == "haproxy" else ""),
        prepare=f"the drill build's {name} configured ({lb}/ installed as its RUNBOOK.md says) with its live colour "
                f"serving the current version; the drill reads the load balancer through `{lb}/switch.sh status` "
                f"and a request through it to the first HTTP smoke test's path at `DRILL_URL` (default "
                f"`{_vm_url(vm.listen)}`){expected}",
        functions=functions, variables=(("live", vm.live),), lines=lines, before=before)


_BUILDERS = {
    "kubernetes.manifests": _deployment,
    "flagger.target": _flagger,
    "argo.target": _argo,
    "aws.ecs": _aws,
    "aws.lambdas": _aws,
    "aws.ec2": _aws,
    "gcp.cloud_run": _cloud_run,
    "gcp.cloud_deploy": _cloud_deploy,
    "gcp.traffic_director": _traffic_director,
    "azure.container_apps": _container_apps,
    "azure.app_service": _app_service,
    "azure.traffic_manager": _traffic_manager,
    "vm.haproxy": _vm,
    "vm.nginx": _vm,
}
