"""Fixture repositories for `shipgen detect` and `shipgen init`, one per kind of deployment file, a
mixed one and an empty one. Each is {path: text}; `EXPECTED[name]` lists the findings that must be
reported as (kind, file, text on the evidence line, confidence)."""

from __future__ import annotations

import textwrap
from pathlib import Path

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 3
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:1.2.3
          ports:
            - containerPort: 8080
          readinessProbe:
            httpGet: {path: /ready, port: 8080}
            periodSeconds: 5
          livenessProbe:
            httpGet: {path: /live, port: 8080}
          resources:
            requests: {cpu: 250m, memory: 256Mi}
"""

REPOSITORIES = {
    "kubernetes": {
        "deploy/web.yaml": DEPLOYMENT + """\
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 3
  maxReplicas: 12
""",
    },
    "helm": {
        "charts/api/Chart.yaml": """\
apiVersion: v2
name: api
description: The API
version: 0.3.0
appVersion: "2.0.1"
""",
        "charts/api/values.yaml": """\
replicaCount: 2
image:
  repository: ghcr.io/acme/api
  tag: ""
service:
  port: 9090
""",
        "charts/api/templates/deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "api.fullname" . }}
spec:
  replicas: {{ .Values.replicaCount }}
""",
    },
    "kustomize": {
        "base/kustomization.yaml": """\
resources:
  - deployment.yaml
images:
  - name: ghcr.io/acme/web
    newTag: 1.3.0
""",
        "base/deployment.yaml": DEPLOYMENT,
    },
    "istio": {
        "mesh/web.yaml": DEPLOYMENT + """\
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web.example.com]
  gateways: [istio-system/public]
  http:
    - route:
        - destination: {host: web}
""",
    },
    "linkerd": {
        "mesh/web.yaml": DEPLOYMENT.replace("      labels: {app: web}", "      annotations:\n"
                                            "        linkerd.io/inject: enabled"),
        "mesh/profile.yaml": """\
apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata:
  name: web.shop.svc.cluster.local
spec:
  routes: []
""",
    },
    "gateway-api": {
        "k8s/web.yaml": DEPLOYMENT,
        "k8s/route.yaml": """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  parentRefs: [{name: public, namespace: gateways}]
  hostnames: [web.example.com]
  rules:
    - backendRefs: [{name: web, port: 80}]
""",
    },
    "smi": {
        "k8s/web.yaml": DEPLOYMENT,
        "k8s/split.yaml": """\
apiVersion: split.smi-spec.io/v1alpha2
kind: TrafficSplit
metadata: {name: web}
spec:
  service: web
  backends:
    - {service: web-stable, weight: 90}
    - {service: web-canary, weight: 10}
""",
    },
    "flagger": {
        "k8s/web.yaml": DEPLOYMENT,
        "k8s/canary.yaml": """\
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: web, namespace: shop}
spec:
  provider: istio
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  analysis:
    interval: 1m
    threshold: 3
    stepWeight: 10
    maxWeight: 50
    metrics:
      - name: request-success-rate
        thresholdRange: {min: 99}
        interval: 1m
      - name: request-duration
        thresholdRange: {max: 500}
        interval: 1m
""",
    },
    "argo-rollouts": {
        "k8s/rollout.yaml": """\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: cart}
spec:
  replicas: 4
  template:
    spec:
      containers:
        - name: cart
          image: ghcr.io/acme/cart:5.0.0
          ports: [{containerPort: 8000}]
          readinessProbe: {tcpSocket: {port: 8000}}
  strategy:
    canary:
      trafficRouting: {nginx: {stableIngress: cart}}
      steps:
        - setWeight: 20
        - pause: {duration: 5m}
        - setWeight: 60
        - pause: {duration: 10m}
""",
    },
    "aws-sam": {
        "template.yaml": """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  ThumbnailFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: thumbnails
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      AutoPublishAlias: live
      DeploymentPreference:
        Type: Canary10Percent5Minutes
""",
    },
    "aws-cloudformation": {
        "infra/stack.yaml": """\
AWSTemplateFormatVersion: "2010-09-09"
Description: Orders on ECS
Resources:
  OrdersTask:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: orders
      Cpu: 512
      Memory: 1024
      ContainerDefinitions:
        - Name: orders
          Image: 111122223333.dkr.ecr.eu-west-1.amazonaws.com/orders:4.1.0
          PortMappings: [{ContainerPort: 8080}]
  OrdersService:
    Type: AWS::ECS::Service
    Properties:
      Cluster: commerce
      DesiredCount: 3
      TaskDefinition: !Ref OrdersTask
""",
    },
    "aws-ecs": {
        "ecs/taskdef.json": """\
{
  "family": "billing",
  "containerDefinitions": [
    {
      "name": "billing",
      "image": "111122223333.dkr.ecr.us-west-2.amazonaws.com/billing:2.2.0",
      "portMappings": [{"containerPort": 3000}],
      "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost:3000/health || exit 1"]}
    }
  ]
}
""",
    },
    "aws-appspec": {
        "appspec.yaml": """\
version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: arn:aws:ecs:us-east-1:111122223333:task-definition/ledger:3
        LoadBalancerInfo:
          ContainerName: ledger
          ContainerPort: 8443
""",
    },
    "gcp-cloud-run": {
        "service.yaml": """\
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: catalog
  labels:
    cloud.googleapis.com/location: europe-west1
spec:
  template:
    metadata:
      annotations:
        autoscaling.knative.dev/maxScale: "20"
    spec:
      containers:
        - image: europe-docker.pkg.dev/shop-prod/images/catalog:2.4.0
          ports: [{containerPort: 8080}]
          startupProbe:
            httpGet: {path: /healthz}
""",
    },
    "gcp-cloud-deploy": {
        "clouddeploy.yaml": """\
apiVersion: deploy.cloud.google.com/v1
kind: DeliveryPipeline
metadata:
  name: search
serialPipeline:
  stages:
    - targetId: staging
    - targetId: prod
      strategy:
        canary:
          runtimeConfig: {cloudRun: {automaticTrafficControl: true}}
          canaryDeployment: {percentages: [25, 50]}
---
apiVersion: deploy.cloud.google.com/v1
kind: Target
metadata:
  name: prod
run:
  location: projects/shop-prod/locations/europe-west1
""",
        "run/search.yaml": """\
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: search
spec:
  template:
    spec:
      containers:
        - image: europe-docker.pkg.dev/shop-prod/images/search:3.1.0
          ports: [{containerPort: 8080}]
""",
    },
    "azure-arm": {
        "azuredeploy.json": """\
{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    {
      "type": "Microsoft.App/containerApps",
      "apiVersion": "2024-03-01",
      "name": "inventory",
      "properties": {
        "configuration": {"ingress": {"targetPort": 8080}},
        "template": {
          "containers": [{"name": "inventory", "image": "acme.azurecr.io/inventory:1.0.0"}],
          "scale": {"minReplicas": 2}
        }
      }
    }
  ]
}
""",
    },
    "azure-bicep": {
        "main.bicep": """\
param location string = resourceGroup().location

resource site 'Microsoft.Web/sites@2023-01-01' = {
  name: 'storefront'
  location: location
  properties: {
    siteConfig: {
      healthCheckPath: '/health'
    }
  }
}
""",
    },
    "docker-compose": {
        "docker-compose.yml": """\
services:
  api:
    image: ghcr.io/acme/api:3.0.0
    ports: ["8000:8000"]
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost:8000/health"]
  worker:
    build: ./worker
""",
    },
    "procfile": {
        "Procfile": "web: gunicorn app:app --bind 0.0.0.0:$PORT\nworker: celery -A app worker\n",
    },
    "haproxy": {
        "lb/haproxy.cfg": """\
global
  maxconn 2000

defaults
  mode http

frontend public
  bind :80
  default_backend checkout

backend checkout
  option httpchk GET /healthz
  server stable 10.0.0.10:8080 check weight 90
  server canary 10.0.0.11:8080 check weight 10
""",
    },
    "nginx": {
        "nginx/nginx.conf": """\
events {}
http {
  upstream payments {
    server 10.0.1.10:9000 weight=95;
    server 10.0.1.11:9000 weight=5;
  }
  server {
    listen 80;
    location / { proxy_pass http://payments; }
  }
}
""",
    },
    "empty": {
        "README.md": "# nothing deploys from here\n",
        "src/app.py": "print('hello')\n",
        "config/settings.yaml": "debug: true\nname: not a manifest\n",
    },
}

REPOSITORIES["mixed"] = {
    **{f"k8s/{path}": text for path, text in REPOSITORIES["flagger"].items()},
    **{f"serverless/{path}": text for path, text in REPOSITORIES["aws-sam"].items()},
    **{f"local/{path}": text for path, text in REPOSITORIES["docker-compose"].items()},
    **{f"edge/{path}": text for path, text in REPOSITORIES["nginx"].items()},
}

EXPECTED = {
    "kubernetes": [("kubernetes", "deploy/web.yaml", "apiVersion: apps/v1", "high"),
                   ("kubernetes", "deploy/web.yaml", "apiVersion: v1", "high"),
                   ("kubernetes", "deploy/web.yaml", "apiVersion: autoscaling/v2", "high")],
    "helm": [("helm", "charts/api/Chart.yaml", "name: api", "high")],
    "kustomize": [("kustomize", "base/kustomization.yaml", "resources:", "high"),
                  ("kustomize", "base/kustomization.yaml", "- name: ghcr.io/acme/web", "high"),
                  ("kubernetes", "base/deployment.yaml", "apiVersion: apps/v1", "high")],
    "istio": [("istio", "mesh/web.yaml", "apiVersion: networking.istio.io/v1", "high")],
    "linkerd": [("linkerd", "mesh/profile.yaml", "apiVersion: linkerd.io/v1alpha2", "high"),
                ("linkerd", "mesh/web.yaml", "linkerd.io/inject: enabled", "medium")],
    "gateway-api": [("gateway-api", "k8s/route.yaml", "apiVersion: gateway.networking.k8s.io/v1", "high")],
    "smi": [("smi", "k8s/split.yaml", "apiVersion: split.smi-spec.io/v1alpha2", "high")],
    "flagger": [("flagger", "k8s/canary.yaml", "apiVersion: flagger.app/v1beta1", "high")],
    "argo-rollouts": [("argo-rollouts", "k8s/rollout.yaml", "apiVersion: argoproj.io/v1alpha1", "high")],
    "aws-sam": [("aws-sam", "template.yaml", "Transform: AWS::Serverless", "high"),
                ("aws-sam", "template.yaml", "ThumbnailFunction:", "high")],
    "aws-cloudformation": [("aws-cloudformation", "infra/stack.yaml", "AWSTemplateFormatVersion", "high"),
                           ("aws-ecs", "infra/stack.yaml", "OrdersTask:", "high"),
                           ("aws-ecs", "infra/stack.yaml", "OrdersService:", "high")],
    "aws-ecs": [("aws-ecs", "ecs/taskdef.json", '"containerDefinitions"', "high")],
    "aws-appspec": [("aws-appspec", "appspec.yaml", "- TargetService:", "high")],
    "gcp-cloud-run": [("gcp-cloud-run", "service.yaml", "apiVersion: serving.knative.dev/v1", "high")],
    "gcp-cloud-deploy": [("gcp-cloud-deploy", "clouddeploy.yaml", "apiVersion: deploy.cloud.google.com/v1", "high"),
                         ("gcp-cloud-run", "run/search.yaml", "apiVersion: serving.knative.dev/v1", "medium")],
    "azure-arm": [("azure-arm", "azuredeploy.json", '"$schema"', "high"),
                  ("azure-arm", "azuredeploy.json", '"type": "Microsoft.App/containerApps"', "high")],
    "azure-bicep": [("azure-bicep", "main.bicep", "resource site", "medium")],
    "docker-compose": [("docker-compose", "docker-compose.yml", "  api:", "high"),
                       ("docker-compose", "docker-compose.yml", "  worker:", "high")],
    "procfile": [("procfile", "Procfile", "web: gunicorn", "high"), ("procfile", "Procfile", "worker: celery", "high")],
    "haproxy": [("haproxy", "lb/haproxy.cfg", "frontend public", "high"),
                ("haproxy", "lb/haproxy.cfg", "backend checkout", "high")],
    "nginx": [("nginx", "nginx/nginx.conf", "upstream payments", "high")],
    "empty": [],
}
EXPECTED["mixed"] = [(k, f"k8s/{f}", t, c) for k, f, t, c in EXPECTED["flagger"]] + [
    (k, f"serverless/{f}", t, c) for k, f, t, c in EXPECTED["aws-sam"]] + [
    (k, f"local/{f}", t, c) for k, f, t, c in EXPECTED["docker-compose"]] + [
    (k, f"edge/{f}", t, c) for k, f, t, c in EXPECTED["nginx"]]

# the services `shipgen init` writes a starter spec for, and the platform each is for
SERVICES = {
    "kubernetes": {"web": "kubernetes"}, "helm": {"api": "kubernetes"}, "kustomize": {"web": "kubernetes"},
    "istio": {"web": "kubernetes"}, "linkerd": {"web": "kubernetes"}, "gateway-api": {"web": "kubernetes"},
    "smi": {"web": "kubernetes"}, "flagger": {"web": "kubernetes"}, "argo-rollouts": {"cart": "kubernetes"},
    "aws-sam": {"thumbnails": "aws-lambda"}, "aws-cloudformation": {"orders": "aws-ecs"},
    "aws-ecs": {"billing": "aws-ecs"}, "aws-appspec": {"ledger": "aws-ecs"},
    "gcp-cloud-run": {"catalog": "gcp-cloud-run"}, "gcp-cloud-deploy": {"search": "gcp-cloud-deploy"},
    "azure-arm": {"inventory": "azure-container-apps"}, "azure-bicep": {"storefront": "azure-app-service"},
    "docker-compose": {"api": "kubernetes", "worker": "kubernetes"},
    "procfile": {"web": "kubernetes", "worker": "kubernetes"}, "haproxy": {"checkout": "kubernetes"},
    "nginx": {"payments": "kubernetes"}, "empty": {},
    "mixed": {"web": "kubernetes", "thumbnails": "aws-lambda", "api": "kubernetes", "worker": "kubernetes",
              "payments": "kubernetes"},
}


def build_repository(root: Path, name: str) -> Path:
    for path, text in REPOSITORIES[name].items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def line_of(name: str, path: str, needle: str) -> int:
    """The first line of a fixture file that starts with `needle` after its indentation (1-based)."""
    for number, line in enumerate(REPOSITORIES[name][path].splitlines(), 1):
        if line.lstrip().startswith(needle.lstrip()):
            return number
    raise AssertionError(f"{needle!r} is not in {path}")
