"""AWS Lambda: alias traffic shifting by CodeDeploy, as a SAM template or as an AppSpec.

For `platform.kind: aws-lambda`. Two forms (`platform.aws.lambda.template`):

- `sam` (default): `aws/template.yaml`, a SAM template (`Transform: AWS::Serverless-2016-10-31`)
  whose function has `AutoPublishAlias` (+ `AutoPublishAliasAllProperties`, so any change
  publishes a version and shifts traffic, §17 #9) and a `DeploymentPreference`: the canary or
  linear type chosen in normalize (a predefined short name, or a Ref to a custom
  `AWS::CodeDeploy::DeploymentConfig`), the alarms built from the rollback gates, and
  PreTraffic/PostTraffic hook functions named `CodeDeployHook_*` (§7, §17 #7).
- `appspec`: `aws/cloudformation.yaml` (the CodeDeploy application, deployment group with
  automatic rollback and alarms, configuration, hooks) and `aws/appspec.yaml`, the Lambda
  AppSpec shifting the alias from `currentVersion` to `targetVersion` with the
  BeforeAllowTraffic/AfterAllowTraffic hooks (§1.3).

`aws/deploy.sh` deploys either form and follows the traffic shift to the end.
"""

from __future__ import annotations

import json

from ...artifacts import SHELL, YAML, Artifact
from .normalize import ecr_repository
from ...durations import human
from ...model import Release
from ...procedure import APPLY, ROLLBACK, Procedure, Step
from ...shell import command
from ...templating import markdown_code
from . import common, observability

NAME = "aws-lambda"
SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
PREDEFINED_PREFIX = "CodeDeployDefault.Lambda"
HOOK_LABELS = {"BeforeAllowTraffic": "before-traffic", "AfterAllowTraffic": "after-traffic"}


def function(release: Release):
    return common.settings(release).function


def is_sam(release: Release) -> bool:
    return function(release).template == "sam"


def render(release: Release, facts) -> list:
    if is_sam(release):
        artifacts = [Artifact("aws/template.yaml", sam_template(release), YAML)]
    else:
        artifacts = [Artifact("aws/cloudformation.yaml", cloudformation(release), YAML),
                     Artifact("aws/appspec.yaml", appspec(release), YAML)]
    artifacts.append(Artifact("aws/deploy.sh", deploy_script(release), SHELL))
    return artifacts


# ---------------------------------------------------------------------------- shared parts


def alias_resource(release: Release) -> str:
    """`<function>:<alias>`: the CloudWatch `Resource` dimension of the alias."""
    return f"{function(release).function_name}:{function(release).alias}"


def alarm_dimensions(release: Release) -> list:
    return [{"Name": "FunctionName", "Value": function(release).function_name},
            {"Name": "Resource", "Value": alias_resource(release)}]


def function_arn(release: Release, qualifier: str) -> dict:
    return {"Fn::Join": ["", ["arn:", common.ref("AWS::Partition"), ":lambda:", common.ref("AWS::Region"), ":",
                              common.ref("AWS::AccountId"), ":function:", function(release).function_name, qualifier]]}


def hook_plan(release: Release, event: str) -> dict:
    """BeforeAllowTraffic: the smoke tests invoke the new version before any traffic, then the
    alarms are checked. AfterAllowTraffic: the smoke tests again once the alias points at it,
    then the alarms (blue-green: `strategy.iterations` checks `strategy.interval` apart)."""
    aws = common.settings(release)
    if event == "AfterAllowTraffic":
        return common.hook_config(release, smoke=True, checks=max(1, aws.analysis_checks),
                                  interval_s=aws.analysis_interval_s)
    return common.hook_config(release, smoke=True)


def hook_statements(release: Release) -> list:
    return [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": function_arn(release, ":*")}]


# ---------------------------------------------------------------------------- SAM


def deployment_type(release: Release, resources: dict):
    """A predefined configuration's SAM short name (`Canary10Percent5Minutes`), or a Ref to a
    custom configuration (SAM passes names it does not know through, §7)."""
    shift = common.settings(release).shift
    if shift.predefined:
        return shift.predefined[len(PREDEFINED_PREFIX):]
    return common.shift_config(shift, "Lambda", resources)


def sam_function(release: Release, resources: dict) -> dict:
    settings = function(release)
    aws = common.settings(release)
    properties = {"FunctionName": settings.function_name,
                  "Description": f"{release.name} ({release.metadata.environment})"}
    if settings.runtime:
        properties.update({"Runtime": settings.runtime, "Handler": settings.handler, "CodeUri": settings.code})
    else:
        properties.update({"PackageType": "Image", "ImageUri": release.service.image})
    properties.update({"Architectures": [settings.architecture], "MemorySize": settings.memory_mib,
                       "Timeout": settings.timeout_s})
    if release.service.env:
        properties["Environment"] = {"Variables": dict(release.service.env)}
    if aws.roles.function:
        properties["Role"] = aws.roles.function
    preference = {"Type": deployment_type(release, resources)}
    if aws.alarms:
        preference["Alarms"] = [common.ref(common.alarm_logical_id(alarm)) for alarm in aws.alarms]
    preference["Hooks"] = {"PreTraffic": common.ref("PreTrafficHook"), "PostTraffic": common.ref("PostTrafficHook")}
    if aws.roles.code_deploy:
        preference["Role"] = aws.roles.code_deploy
    properties.update({"AutoPublishAlias": settings.alias, "AutoPublishAliasAllProperties": True,
                       "DeploymentPreference": preference, "Tags": {tag["Key"]: tag["Value"]
                                                                     for tag in common.tags(release)}})
    return {"Type": "AWS::Serverless::Function", "Properties": properties}


def sam_hook(release: Release, event: str) -> dict:
    config = hook_plan(release, event)
    return {"Type": "AWS::Serverless::Function", "Properties": {
        "FunctionName": common.hook_function_name(release, HOOK_LABELS[event]),
        "Description": f"shipgen CodeDeploy hook ({HOOK_LABELS[event]}) for {common.base_name(release)}",
        "Runtime": common.HOOK_RUNTIME,
        "Handler": "index.handler",
        "InlineCode": common.HOOK_SOURCE,
        "Timeout": common.hook_timeout_s(config),
        "DeploymentPreference": {"Enabled": False},
        "Environment": common.hook_environment(config, {"SHIPGEN_TARGET": common.ref("Function.Version")}),
        "Policies": [{"Version": "2012-10-17", "Statement": common.hook_statements() + hook_statements(release)}],
    }}


def sam_template(release: Release) -> dict:
    resources = {}
    resources["Function"] = sam_function(release, resources)
    resources["PreTrafficHook"] = sam_hook(release, "BeforeAllowTraffic")
    resources["PostTrafficHook"] = sam_hook(release, "AfterAllowTraffic")
    common.add_alarms(release, resources, lambda alarm: alarm_dimensions(release))
    observability.add_slo_resources(release, resources, lambda alarm: alarm_dimensions(release))
    outputs = {"FunctionArn": ("The function.", common.get_att("Function", "Arn")),
               "AliasArn": ("The alias callers use.", common.ref("Function.Alias"))}
    what = f"Lambda function shifted by CodeDeploy ({common.shift_text(common.settings(release).shift)})"
    return common.template(common.description(release, what), {}, {}, resources, outputs, transform=SAM_TRANSFORM)


# ---------------------------------------------------------------------------- CloudFormation + AppSpec


def cloudformation(release: Release) -> dict:
    aws = common.settings(release)
    resources = {}
    role = common.code_deploy_role_arn(release, resources, "service-role/AWSCodeDeployRoleForLambda")
    resources["Application"] = common.application(release, "Lambda")
    properties = {
        "ApplicationName": common.ref("Application"),
        "DeploymentGroupName": common.deployment_group_name(release),
        "ServiceRoleArn": role,
        "DeploymentConfigName": common.shift_config(aws.shift, "Lambda", resources),
        "DeploymentStyle": {"DeploymentType": "BLUE_GREEN", "DeploymentOption": "WITH_TRAFFIC_CONTROL"},
        "AutoRollbackConfiguration": common.auto_rollback(release),
    }
    alarms = common.alarm_configuration(release)
    if alarms:
        properties["AlarmConfiguration"] = alarms
    properties["Tags"] = common.tags(release)
    resources["DeploymentGroup"] = {"Type": "AWS::CodeDeploy::DeploymentGroup", "Properties": properties}
    resources["HookRole"] = common.hook_role(hook_statements(release))
    target = f"{function(release).function_name}:{function(release).target_version}"
    for event, label in HOOK_LABELS.items():
        resources[f"Hook{event}"] = common.hook_function(release, label, hook_plan(release, event),
                                                         {"SHIPGEN_TARGET": target})
    common.add_alarms(release, resources, lambda alarm: alarm_dimensions(release))
    observability.add_slo_resources(release, resources, lambda alarm: alarm_dimensions(release))
    outputs = {"ApplicationName": ("The CodeDeploy application.", common.ref("Application")),
               "DeploymentGroupName": ("The CodeDeploy deployment group.", common.ref("DeploymentGroup"))}
    what = f"CodeDeploy shifting the Lambda alias {function(release).alias} ({common.shift_text(aws.shift)})"
    return common.template(common.description(release, what), {}, {}, resources, outputs)


def appspec(release: Release) -> dict:
    settings = function(release)
    return {
        "version": 0.0,
        "Resources": [{release.name: {"Type": "AWS::Lambda::Function", "Properties": {
            "Name": settings.function_name, "Alias": settings.alias,
            "CurrentVersion": str(settings.current_version), "TargetVersion": str(settings.target_version)}}}],
        "Hooks": [{event: common.hook_function_name(release, label)} for event, label in HOOK_LABELS.items()],
    }


# ---------------------------------------------------------------------------- deploy script


def deadline_s(release: Release) -> int:
    aws = common.settings(release)
    hooks = sum(common.hook_timeout_s(hook_plan(release, event)) for event in HOOK_LABELS)
    return aws.shift.total_s + hooks + 600


def sam_deploy(release: Release) -> str:
    """`sam deploy` of the template. A container image function also needs its ECR repository
    (`--image-repository`), which sam requires for image functions even when ImageUri is already
    in ECR (aws/aws-sam-cli#5372); an image already there is not pushed again."""
    aws = common.settings(release)
    bucket = ("--s3-bucket", aws.artifact_bucket) if aws.artifact_bucket else ("--resolve-s3",)
    image = () if function(release).runtime else ("--image-repository", ecr_repository(release.service.image))
    return command("sam", "deploy", "--region", aws.region, "--stack-name", aws.stack_name, "--template-file",
                   "aws/template.yaml", "--capabilities", "CAPABILITY_IAM", *bucket, *image,
                   "--no-fail-on-empty-changeset", "--no-confirm-changeset")


def deploy_script(release: Release) -> str:
    aws = common.settings(release)
    settings = function(release)
    if is_sam(release):
        body = f'''cd "$(dirname "$0")/.."

# CloudFormation publishes a new version and CodeDeploy shifts the alias {settings.alias} to it
# ({common.shift_text(aws.shift)}); sam deploy returns when the shift has ended.
{sam_deploy(release)}
'''
        return common.script(f"Deploys {release.name} ({release.metadata.environment}) to AWS Lambda with SAM; "
                             "CodeDeploy shifts the alias.", body)
    body = common.constants(REGION=aws.region, STACK=aws.stack_name, FUNCTION=settings.function_name,
                            ALIAS=settings.alias, CURRENT_VERSION=settings.current_version,
                            TARGET_VERSION=settings.target_version, APPLICATION=common.application_name(release),
                            GROUP=common.deployment_group_name(release), DEADLINE_S=deadline_s(release))
    body += f'''
cd "$(dirname "$0")"

{common.WAIT_FOR_DEPLOYMENT}
aws cloudformation deploy --region "$REGION" --stack-name "$STACK" --template-file cloudformation.yaml \\
  --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset

# CodeDeploy fails (INVALID_LAMBDA_CONFIGURATION) when the alias is not where the AppSpec says.
current=$(aws lambda get-alias --region "$REGION" --function-name "$FUNCTION" --name "$ALIAS" \\
  --query FunctionVersion --output text)
if [[ $current != "$CURRENT_VERSION" ]]; then
  echo "alias $ALIAS points at version $current, and the AppSpec shifts from version $CURRENT_VERSION" >&2
  exit 1
fi
aws lambda get-function --region "$REGION" --function-name "$FUNCTION" --qualifier "$TARGET_VERSION" \\
  --query Configuration.Version --output text >/dev/null

input=$(mktemp)
trap 'rm -f "$input"' EXIT
{{
  printf 'revision:\\n  revisionType: AppSpecContent\\n  appSpecContent:\\n    content: |\\n'
  sed -e 's/^/      /' appspec.yaml
}} >"$input"
id=$(aws deploy create-deployment --region "$REGION" --application-name "$APPLICATION" \\
  --deployment-group-name "$GROUP" --cli-input-yaml "file://$input" --query deploymentId --output text)
echo "deployment $id: alias $ALIAS from version $CURRENT_VERSION to $TARGET_VERSION"
wait_for_deployment "$id" "$DEADLINE_S"
'''
    return common.script(f"Deploys {release.name} ({release.metadata.environment}): CodeDeploy shifts the Lambda alias "
                         f"{settings.alias} from version {settings.current_version} to {settings.target_version}.",
                         body)


# ---------------------------------------------------------------------------- runbook procedure


def smoke_command(release: Release, test) -> tuple:
    """A smoke test by hand: the alias invoked with the HTTP event the hooks send."""
    if test.http_path is None:
        return common.command_smoke(test)
    path, _, query = test.http_path.partition("?")
    event = {"version": "2.0", "rawPath": path, "rawQueryString": query, "headers": {}, "isBase64Encoded": False,
             "requestContext": {"http": {"method": test.method, "path": path}}}
    invoke = common.aws(release, "lambda", "invoke", "--function-name", function(release).function_name, "--qualifier",
                        function(release).alias, "--cli-binary-format", "raw-in-base64-out", "--payload",
                        json.dumps(event, separators=(",", ":")), "response.json")
    return f"{invoke} && cat response.json", f"answers statusCode {test.expect}"



def procedure(release: Release, facts) -> Procedure:
    aws = common.settings(release)
    settings = function(release)
    alias = ("--function-name", settings.function_name, "--name", settings.alias)
    if is_sam(release):
        deploy = (Step("Deploy: CloudFormation publishes a new version and CodeDeploy shifts the alias "
                       f"{settings.alias} to it; the command returns when the shift has ended.",
                       command("aws/deploy.sh"), f"It runs {markdown_code(sam_deploy(release))}.", role=APPLY),)
    else:
        deploy = (Step(f"Deploy: updates the CodeDeploy stack, checks that alias {settings.alias} points at version "
                       f"{settings.current_version} and that version {settings.target_version} exists, then starts "
                       "the deployment with aws/appspec.yaml and follows it.", command("aws/deploy.sh"),
                       "It stops the deployment with rollback if it has not ended after "
                       f"{human(deadline_s(release))}.", role=APPLY),)
    deploy += (Step(f"Traffic: {common.shift_text(aws.shift)} ({common.config_text(aws.shift)}). The PreTraffic hook "
                    "invokes the new version with each HTTP smoke test before any traffic moves."),)
    watch = (
        Step("The latest deployment of the group.", common.last_deployment(release)),
        Step("Its status and error.", common.get_deployment(release)),
        Step("Where the alias points, and the share the new version gets.",
             common.aws(release, "lambda", "get-alias", *alias, "--query", "[FunctionVersion,RoutingConfig]",
                        "--output", "json")),
    )
    if aws.alarms:
        watch += (Step("The alarms that stop it.", common.alarms_command(release)),)
    previous = str(settings.current_version) if settings.current_version else "PREVIOUS_VERSION"
    rollback = (
        Step("While the traffic shifts: stop the deployment; CodeDeploy points the alias back at the old version "
             "at once.", common.stop_deployment(release)),
        Step("After it completed: point the alias at the previous version"
             + (" (CloudFormation will see drift until the previous spec is deployed again)." if is_sam(release)
                else "."),
             common.aws(release, "lambda", "update-alias", *alias, "--function-version", previous, "--routing-config",
                        "AdditionalVersionWeights={}"), role=ROLLBACK if settings.current_version else ""),
    )
    if is_sam(release):
        rollback += (Step("Then put the previous spec back, rebuild, and deploy it the same way.",
                          sam_deploy(release)),)
    automatic = ""
    if release.rollback.automatic:
        automatic = (f"CodeDeploy points the alias {settings.alias} back at the old version when a hook fails (an HTTP "
                     f"smoke test, or a rollback alarm firing at a hook) or when {common.alarms_sentence(release)} "
                     "during the shift"
                     + ("; CloudFormation then rolls the stack back." if is_sam(release) else "."))
    notes = ["Hook functions are named CodeDeployHook_* so that the CodeDeploy role's managed policy may invoke "
             "them; a custom platform.aws.roles.codeDeploy must allow lambda:InvokeFunction on them."]
    if is_sam(release):
        notes.append("Every change to the function (code, environment, memory) publishes a new version and shifts "
                     "traffic (AutoPublishAliasAllProperties).")
    return Procedure(f"AWS Lambda alias shifted by CodeDeploy ({common.config_text(aws.shift)}, "
                     f"{'SAM' if is_sam(release) else 'AppSpec'})", deploy, watch, rollback, automatic, tuple(notes))
