"""deploy/kubernetes/, checked offline: the Kubernetes schemas (kubernetes-validate, strict),
KEDA's schemas (vendored, see schemas/README.md), and what the manifests must agree on with
the platform: probe routes, worker groups, the Redis lists Dramatiq really fills, the
environment, the Secret's keys and the resources."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import dramatiq
import jsonschema
import kubernetes_validate
import pytest
import yaml

from core.settings import Settings
from tests.deploy.deployfiles import ROOT, compose, platform_queues, schema, worker_groups
from workers import health

KUBERNETES = ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.30.0"  # the oldest release still supported by most clouds
KEDA_SCHEMAS = {
    "ScaledObject": "keda-scaledobject-v1alpha1.json",
    "TriggerAuthentication": "keda-triggerauthentication-v1alpha1.json",
}
SECRET_KEYS = {
    "SECRET_KEY",
    "ENCRYPTION_KEYS",
    "METRICS_TOKEN",
    "S3_ACCESS_KEY",
    "S3_SECRET_KEY",
    "POSTGRES_PASSWORD",
    "REDIS_PASSWORD",
}


def manifests() -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for path in sorted(KUBERNETES.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            found += [(path, doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
    return found


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in manifests() if doc["kind"] == kind}


def pod_specs() -> dict[str, dict[str, Any]]:
    pods = {name: doc["spec"]["template"]["spec"] for name, doc in of_kind("Deployment").items()}
    pods |= {name: doc["spec"]["template"]["spec"] for name, doc in of_kind("Job").items()}
    return pods


def container(name: str) -> dict[str, Any]:
    (only,) = pod_specs()[name]["containers"]
    return only


def config_map() -> dict[str, str]:
    return of_kind("ConfigMap")["platform-config"]["data"]


def keda_validator(kind: str) -> jsonschema.protocols.Validator:
    spec = schema(KEDA_SCHEMAS[kind])
    return jsonschema.validators.validator_for(spec)(spec)


@pytest.mark.parametrize(
    ("path", "doc"),
    manifests(),
    ids=lambda v: v.name if isinstance(v, Path) else v["metadata"]["name"],
)
def test_each_manifest_is_valid_against_its_schema(path, doc):
    if doc["kind"] in KEDA_SCHEMAS:
        errors = [
            f"{list(e.absolute_path)}: {e.message}"
            for e in keda_validator(doc["kind"]).iter_errors(doc)
        ]
        assert errors == []
    else:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_validators_catch_mistakes():
    # Given a Deployment and a ScaledObject each with a misspelt field
    deployment = of_kind("Deployment")["platform-api"]
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    scaled = of_kind("ScaledObject")["platform-worker-speech"]
    scaled["spec"]["triggers"][0]["metdata"] = scaled["spec"]["triggers"][0].pop("metadata")
    # When validated, Then both are refused
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    with pytest.raises(jsonschema.ValidationError):
        keda_validator("ScaledObject").validate(scaled)


def test_kustomization_lists_every_manifest_but_the_migrations_job():
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    files = {path.name for path in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files - {"migrate-job.yaml"}
    assert set(of_kind("Job")) == {"platform-migrate"}


def test_the_api_probes_routes_that_exist(app):
    api = container("platform-api")
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert api["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert {"/healthz", "/readyz"} <= routes
    # And the probes' port is the one gunicorn binds, which the Service targets
    (port,) = api["ports"]
    assert f"0.0.0.0:{port['containerPort']}" in api["command"]
    assert of_kind("Service")["platform-api"]["spec"]["ports"][0]["targetPort"] == port["name"]
    # And the answers are what the probes expect
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_workers_and_scheduler_are_probed_by_the_health_check():
    for name, pod in pod_specs().items():
        command = pod["containers"][0]["command"]
        if command[:1] == ["dramatiq"] or command[-1:] == ["workers.scheduler"]:
            probe = pod["containers"][0]["livenessProbe"]["exec"]["command"]
            assert probe[:3] == ["python", "-m", "workers.health"], name
            role = "worker" if command[0] == "dramatiq" else "scheduler"
            assert probe[3:] == [role, "--process-only"], name
            assert role in health.ROLES


def test_the_worker_groups_are_compose_groups_and_cover_every_queue():
    groups = {
        name: _queues(pod["containers"][0]["command"])
        for name, pod in pod_specs().items()
        if pod["containers"][0]["command"][0] == "dramatiq"
    }
    assert sorted(map(sorted, groups.values())) == sorted(
        map(sorted, worker_groups(compose()).values())
    )
    assert sorted(q for queues in groups.values() for q in queues) == sorted(platform_queues())


def _queues(command: list[str]) -> list[str]:
    from tests.deploy.deployfiles import queues_of

    return queues_of(command)


def test_each_worker_group_scales_on_the_redis_lists_of_its_queues(app, redis_client):
    # Given the broker as the ConfigMap configures it (QUEUE_PREFIX unset)
    prefix = config_map().get("QUEUE_PREFIX", "")
    settings = app.extensions["settings"]
    assert settings.queue_prefix == prefix
    broker = app.extensions["runtime"].broker
    deployments = of_kind("Deployment")
    for scaled in of_kind("ScaledObject").values():
        target = scaled["spec"]["scaleTargetRef"]["name"]
        queues = _queues(
            deployments[target]["spec"]["template"]["spec"]["containers"][0]["command"]
        )
        lists = {}
        for trigger in scaled["spec"]["triggers"]:
            assert trigger["type"] == "redis"
            lists[trigger["metadata"]["listName"]] = trigger
        # Then there is one trigger per queue of the group
        assert len(lists) == len(queues), target
        for queue in queues:
            # When Dramatiq enqueues a message on that queue
            redis_client.flushdb()
            broker.enqueue(
                dramatiq.Message(
                    queue_name=settings.queue(queue),
                    actor_name="ping",
                    args=(),
                    kwargs={},
                    options={},
                )
            )
            # Then the list the trigger watches holds it, and only that list of the group
            lengths = {name: redis_client.llen(name) for name in lists}
            assert sorted(lengths.values()) == [0] * (len(lists) - 1) + [1], (queue, lengths)
            (watched,) = [name for name, length in lengths.items() if length == 1]
            assert watched.endswith(f":{settings.queue(queue)}")
        # And the deployment leaves its replica count to KEDA, within sane bounds
        assert "replicas" not in deployments[target]["spec"]
        assert 1 <= scaled["spec"]["minReplicaCount"] <= scaled["spec"]["maxReplicaCount"]


def test_keda_reaches_redis_where_the_workers_do():
    authentication = of_kind("TriggerAuthentication")
    for scaled in of_kind("ScaledObject").values():
        target = scaled["spec"]["scaleTargetRef"]["name"]
        env = _environment(container(target))
        for trigger in scaled["spec"]["triggers"]:
            metadata = trigger["metadata"]
            # The address comes from the worker's own environment, as REDIS_URL is built
            assert metadata["addressFromEnv"] in env
            assert (
                f"@$({metadata['addressFromEnv']})/{metadata['databaseIndex']}" in env["REDIS_URL"]
            )
            auth = authentication[trigger["authenticationRef"]["name"]]
            (password,) = auth["spec"]["secretTargetRef"]
            assert password["parameter"] == "password"
            assert f":$({password['key']})@" in env["REDIS_URL"]


def _environment(spec: dict[str, Any]) -> dict[str, str]:
    """The container's variables: the ConfigMap's, then its env list (values or refs)."""
    env = {}
    for source in spec.get("envFrom", []):
        assert source["configMapRef"]["name"] == "platform-config"
        env |= config_map()
    for variable in spec["env"]:
        env[variable["name"]] = variable.get("value", "<from secret>")
    return env


def test_every_pod_has_the_same_environment_and_it_starts_in_production():
    specs = [pod["containers"][0] for pod in pod_specs().values()]
    assert all(
        spec["env"] == specs[0]["env"] and spec["envFrom"] == specs[0]["envFrom"] for spec in specs
    )
    env = specs[0]["env"]
    defined = set(config_map())
    for variable in env:
        # Secrets only through the one Secret, by the keys README lists
        reference = variable.get("valueFrom", {}).get("secretKeyRef")
        if reference:
            assert reference["name"] == "platform-secrets"
            assert reference["key"] in SECRET_KEYS
        # $(VAR) only names a variable defined before it (else Kubernetes leaves it as is)
        for name in re.findall(r"\$\((\w+)\)", variable.get("value", "")):
            assert name in defined, (variable["name"], name)
        defined.add(variable["name"])
    # And with the Secret's values filled in as Kubernetes would, production starts
    import secrets

    values = {key: secrets.token_urlsafe(48) for key in SECRET_KEYS - {"ENCRYPTION_KEYS"}}
    resolved = dict(config_map())
    for variable in env:
        if "value" in variable:
            resolved[variable["name"]] = re.sub(
                r"\$\((\w+)\)", lambda m: resolved[m.group(1)], variable["value"]
            )
        elif variable["valueFrom"]["secretKeyRef"]["key"] in values:
            resolved[variable["name"]] = values[variable["valueFrom"]["secretKeyRef"]["key"]]
    settings = Settings.from_env(resolved)
    assert settings.env == "production" and settings.storage_backend == "s3"
    assert f":{values['POSTGRES_PASSWORD']}@postgres:5432/platform" in settings.database_url
    assert settings.redis_url == f"redis://:{values['REDIS_PASSWORD']}@redis:6379/0"
    assert settings.s3_public_endpoint.startswith("https://")


def test_every_container_has_requests_and_limits_and_the_data_volume():
    for name, pod in pod_specs().items():
        (spec,) = pod["containers"]
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(spec["resources"][kind]), (name, kind)
        mounts = {mount["mountPath"]: mount["name"] for mount in spec["volumeMounts"]}
        volume = mounts[config_map()["DATA_DIR"]]
        claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"]}
        assert claims[volume] in of_kind("PersistentVolumeClaim"), name
        assert spec["image"] == "assessment-platform:latest"


def test_resources_cite_the_figures_they_come_from():
    # Each resources block says where its numbers come from; the figures it cites are README's
    readme = (ROOT / "README.md").read_text()
    for path in ("api.yaml", "workers.yaml", "scheduler.yaml", "migrate-job.yaml"):
        text = (KUBERNETES / path).read_text()
        blocks = re.findall(r"resources:\n((?:\s+#.*\n)+)", text)
        assert blocks, path
        for block in blocks:
            assert "README" in block, path
            for figure in re.findall(r"(\d+\.\d+)(?: MiB| s|x)", block):
                assert figure in readme, (path, figure)


def test_a_queue_prefix_renames_the_lists_as_readme_says(app, redis_client):
    # Given a broker for QUEUE_PREFIX=eu- (README: eu-dramatiq:eu-transcription)
    from workers.broker import build_broker

    settings = app.extensions["settings"].replace(queue_prefix="eu-")
    broker = build_broker(settings, app)
    broker.declare_queue(settings.queue("transcription"))
    # When a message is enqueued on the prefixed transcription queue
    broker.enqueue(
        dramatiq.Message(
            queue_name=settings.queue("transcription"),
            actor_name="transcription",
            args=(),
            kwargs={},
            options={},
        )
    )
    # Then it waits in the list KEDA's listName must then name
    assert redis_client.llen("eu-dramatiq:eu-transcription") == 1
    broker.close()
