"""deploy/: every Dagster instance config there validates against Dagster's own config schema.

deploy/dagster.yaml (one host) goes through `dagster_instance_config`, the loader `DagsterInstance` uses,
then each configurable class's own `config_type()` with its env vars resolved, as rehydration does at
start. The Helm values are turned into the dagster.yaml that the chart's configmap-instance.yaml renders
(same keys, camelCase to snake_case) and validated the same way; the K8sRunLauncher and user deployment
blocks, whose classes (dagster-k8s) are not installed, are checked against the chart's field names.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from copy import deepcopy
from pathlib import Path
from typing import Any

import dagster as dg
import jsonschema
import pytest
import yaml
from dagster._config import process_config
from dagster._core.errors import DagsterInvalidConfigError
from dagster._core.instance.config import dagster_instance_config
from dagster._core.instance.ref import InstanceRef
from dagster_postgres.utils import pg_url_from_config

from goodseed_dagster.run_launcher import PromptRunCoordinator
from goodseed_dagster.settings import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
PG_ENV = {
    "DAGSTER_PG_HOST": "postgres",
    "DAGSTER_PG_PORT": "5432",
    "DAGSTER_PG_USER": "goodseed",
    "DAGSTER_PG_PASSWORD": "s3cret",
    "DAGSTER_PG_DB": "dagster",
    "DAGSTER_PG_PASSWORD_FROM_SECRET": "s3cret",
}
CLASS_SECTIONS = (
    "run_storage",
    "event_log_storage",
    "schedule_storage",
    "run_coordinator",
    "run_launcher",
    "compute_logs",
)
SELLER_LIMIT = {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
# Field names of the chart's pydantic models (helm/dagster/schema/.../run_launcher.py, user_deployments.py),
# all `extra = forbid` there: a misspelt key fails `helm install`.
K8S_RUN_LAUNCHER_FIELDS = {
    "image", "imagePullPolicy", "jobNamespace", "loadInclusterConfig", "kubeconfigFile", "envConfigMaps",
    "envSecrets", "envVars", "volumeMounts", "volumes", "labels", "failPodOnRunFailure", "resources",
    "schedulerName", "securityContext", "runK8sConfig",
}  # fmt: skip
K8S_RUN_LAUNCHER_REQUIRED = {
    "imagePullPolicy", "loadInclusterConfig", "envConfigMaps", "envSecrets", "envVars", "volumeMounts", "volumes",
}  # fmt: skip
RUN_K8S_CONFIG_FIELDS = {
    "containerConfig",
    "podSpecConfig",
    "podTemplateSpecMetadata",
    "jobSpecConfig",
    "jobMetadata",
}
USER_DEPLOYMENT_FIELDS = {
    "name", "image", "port", "dagsterApiGrpcArgs", "codeServerArgs", "includeConfigInLaunchedRuns", "env",
    "envConfigMaps", "envSecrets", "annotations", "nodeSelector", "affinity", "tolerations",
    "podSecurityContext", "securityContext", "resources", "livenessProbe", "readinessProbe", "startupProbe",
    "labels", "volumeMounts", "volumes", "schedulerName",
}  # fmt: skip


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _snake_keys(config: Mapping[str, Any]) -> dict[str, Any]:
    """The chart's helpers rename a block's own keys only (tag limits keep `applyLimitPerUniqueValue`)."""
    return {_snake(k): v for k, v in config.items()}


def _helm_postgres(values: Mapping[str, Any]) -> dict[str, Any]:
    pg = values["postgresql"]
    db: dict[str, Any] = {
        "username": pg["postgresqlUsername"],
        "password": {"env": "DAGSTER_PG_PASSWORD_FROM_SECRET"},  # the chart mounts the secret as an env var
        "hostname": pg["postgresqlHost"],
        "db_name": pg["postgresqlDatabase"],
        "port": pg["service"]["port"],
        "params": pg.get("postgresqlParams", {}),
    }
    if pg.get("postgresqlScheme"):
        db["scheme"] = pg["postgresqlScheme"]
    return {"postgres_db": db}


def helm_instance(values: Mapping[str, Any]) -> dict[str, Any]:
    """The dagster.yaml the chart renders from `values` (configmap-instance.yaml), minus the K8s launcher."""
    daemon, clm = values["dagsterDaemon"], values["computeLogManager"]
    coordinator = daemon["runCoordinator"]
    assert coordinator["type"] == "QueuedRunCoordinator" and clm["type"] == "S3ComputeLogManager"
    storage = _helm_postgres(values)
    instance: dict[str, Any] = {
        "run_storage": {
            "module": "dagster_postgres.run_storage",
            "class": "PostgresRunStorage",
            "config": storage,
        },
        "event_log_storage": {
            "module": "dagster_postgres.event_log",
            "class": "PostgresEventLogStorage",
            "config": storage,
        },
        "schedule_storage": {
            "module": "dagster_postgres.schedule_storage",
            "class": "PostgresScheduleStorage",
            "config": storage,
        },
        "run_coordinator": {
            "module": "dagster",
            "class": "QueuedRunCoordinator",
            "config": _snake_keys(coordinator["config"]["queuedRunCoordinator"]),
        },
        "compute_logs": {
            "module": "dagster_aws.s3.compute_log_manager",
            "class": "S3ComputeLogManager",
            "config": _snake_keys(clm["config"]["s3ComputeLogManager"]),
        },
        "telemetry": {"enabled": values["telemetry"]["enabled"]},
    }
    if daemon["runRetries"]["enabled"]:
        instance["run_retries"] = _snake_keys(daemon["runRetries"])
    if daemon["runMonitoring"]["enabled"]:
        instance["run_monitoring"] = _snake_keys(daemon["runMonitoring"])
    if values.get("retention", {}).get("enabled"):
        instance["retention"] = {
            kind: {"purge_after_days": values["retention"][kind]["purgeAfterDays"]}
            for kind in ("schedule", "sensor")
            if kind in values["retention"]
        }
    return instance


def validate_instance(instance: Mapping[str, Any], tmp_path: Path) -> Mapping[str, Any]:
    """Dagster's instance loader, then each configurable class's config as rehydration processes it."""
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(dict(instance)))
    config, _ = dagster_instance_config(str(tmp_path))
    sections = {section: config[section] for section in CLASS_SECTIONS if section in config}
    if "custom" in config.get("storage", {}):
        sections["storage"] = config["storage"]["custom"]
    for section, data in sections.items():
        klass = getattr(importlib.import_module(data["module"]), data["class"])
        result = process_config(klass.config_type(), data.get("config") or {})
        if not result.success:
            raise DagsterInvalidConfigError(f"{section} config", result.errors, data)
    return config


def _storage_url(config: Mapping[str, Any]) -> str:
    """The URL dagster-postgres connects with, env vars resolved: its driver must be psycopg2."""
    if "storage" in config:
        storage = config["storage"].get("postgres") or config["storage"]["custom"]["config"]
    else:
        storage = config["run_storage"]["config"]
    db = {
        k: PG_ENV[v["env"]] if isinstance(v, dict) and "env" in v else v
        for k, v in storage["postgres_db"].items()
    }
    return pg_url_from_config({"postgres_db": db})


@pytest.fixture
def pg_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in PG_ENV.items():
        monkeypatch.setenv(name, value)


def _compose_instance() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "dagster.yaml").read_text())


def _helm_values() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())


@pytest.mark.usefixtures("pg_env")
def test_compose_instance_validates(tmp_path: Path) -> None:
    config = validate_instance(_compose_instance(), tmp_path)
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert config["run_coordinator"]["config"]["tag_concurrency_limits"] == [SELLER_LIMIT]
    assert config["telemetry"] == {"enabled": False}
    assert config["run_retries"]["enabled"] is True
    assert _storage_url(config).startswith("postgresql+psycopg2://goodseed:s3cret@postgres:5432/dagster")


@pytest.mark.usefixtures("pg_env")
def test_helm_instance_validates(tmp_path: Path) -> None:
    config = validate_instance(helm_instance(_helm_values()), tmp_path)
    assert config["run_coordinator"]["config"]["tag_concurrency_limits"] == [SELLER_LIMIT]
    assert config["run_coordinator"]["config"]["max_concurrent_runs"] > 1
    assert config["compute_logs"]["config"]["bucket"]
    assert _storage_url(config).startswith("postgresql+psycopg2://")


def _break(instance: dict[str, Any], path: tuple[str, ...], bad_key: str) -> dict[str, Any]:
    broken = deepcopy(instance)
    node = broken
    for key in path[:-1]:
        node = node[key]
    node[bad_key] = node.pop(path[-1])
    return broken


@pytest.mark.usefixtures("pg_env")
@pytest.mark.parametrize(
    ("path", "bad_key"),
    [
        (("run_coordinator", "config", "max_concurrent_runs"), "max_concurent_runs"),
        (("storage", "custom", "config", "postgres_db", "hostname"), "host"),
        (("run_retries", "max_retries"), "retries"),
        (("telemetry",), "telemetery"),
    ],
)
def test_a_broken_compose_key_fails(tmp_path: Path, path: tuple[str, ...], bad_key: str) -> None:
    with pytest.raises(DagsterInvalidConfigError):
        validate_instance(_break(_compose_instance(), path, bad_key), tmp_path)


@pytest.mark.usefixtures("pg_env")
@pytest.mark.parametrize(
    ("path", "bad_key"),
    [
        (
            ("dagsterDaemon", "runCoordinator", "config", "queuedRunCoordinator", "maxConcurrentRuns"),
            "maxRuns",
        ),
        (("computeLogManager", "config", "s3ComputeLogManager", "uploadInterval"), "uploadEvery"),
        (("dagsterDaemon", "runRetries", "maxRetries"), "retries"),
    ],
)
def test_a_broken_helm_key_fails(tmp_path: Path, path: tuple[str, ...], bad_key: str) -> None:
    with pytest.raises(DagsterInvalidConfigError):
        validate_instance(helm_instance(_break(_helm_values(), path, bad_key)), tmp_path)


def test_helm_launcher_and_code_location_use_the_charts_fields() -> None:
    values = _helm_values()
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    assert set(launcher) <= K8S_RUN_LAUNCHER_FIELDS and set(launcher) >= K8S_RUN_LAUNCHER_REQUIRED
    assert set(launcher.get("runK8sConfig", {})) <= RUN_K8S_CONFIG_FIELDS
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    assert set(deployment) <= USER_DEPLOYMENT_FIELDS
    module = deployment["dagsterApiGrpcArgs"][deployment["dagsterApiGrpcArgs"].index("-m") + 1]
    assert importlib.util.find_spec(module) is not None
    assert values["postgresql"]["enabled"] is False and values["global"]["postgresqlSecretName"]


def test_dockerfile_serves_the_code_location() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M), "the image must not run as root"
    assert "-c constraints.txt" in dockerfile and "goodseed_dagster.dbt_project" in dockerfile
    (module,) = re.findall(r'"-m", "([\w.]+)"', dockerfile)
    assert importlib.util.find_spec(module) is not None


def _compose_file() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def _compose_errors(compose: Mapping[str, Any]) -> list[str]:
    schema = json.loads((DEPLOY / "compose-spec" / "compose-spec.json").read_text())
    return [f"{list(e.path)}: {e.message}" for e in jsonschema.Draft7Validator(schema).iter_errors(compose)]


def test_compose_file_matches_the_compose_spec() -> None:
    compose = _compose_file()
    assert _compose_errors(compose) == []
    assert {"postgres", "code-server", "webserver", "daemon"} <= set(compose["services"])
    assert compose["services"]["postgres"]["image"] == "postgres:18"
    assert all("healthcheck" in compose["services"][s] for s in ("postgres", "code-server", "webserver"))
    compose["services"]["webserver"]["healthcheck"]["intervall"] = "5s"
    assert _compose_errors(compose), "a misspelt key must fail the schema"


def test_docker_compose_config_validates() -> None:
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("`docker compose` (Compose v2) is not installed: compose file checked by its schema only")
    run = subprocess.run(
        [docker, "compose", "-f", str(DEPLOY / "docker-compose.yml"), "config", "--quiet"],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "POSTGRES_PASSWORD": "test"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr


def test_dev_instance_stores_runs_in_postgres_with_a_per_seller_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo's dagster.yaml: Dagster's storage on Postgres (a psycopg2 URL from the environment; the
    pooled storage is exercised in test_dagster_storage)."""
    monkeypatch.setenv("GOODSEED_DAGSTER_PG_URL", "postgresql+psycopg2://postgres:@/goodseed_dagster?host=/s")
    config = validate_instance(yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text()), tmp_path)
    assert config["storage"]["custom"]["config"]["postgres_url"] == {"env": "GOODSEED_DAGSTER_PG_URL"}
    per_seller = {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
    assert per_seller in config["concurrency"]["runs"]["tag_concurrency_limits"]
    assert config["run_launcher"]["class"] == "ForkingRunLauncher"  # its config schema checked above


def test_dev_instance_queue_polls_twice_a_second_with_the_concurrency_limits(tmp_path: Path) -> None:
    """PromptRunCoordinator replaces `run_queue`: the limits must still come from `concurrency:`."""
    config = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text())
    del config["storage"]  # the rest of the instance as the demo has it, storage in tmp_path
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config))
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path))) as instance:
        coordinator = instance.run_coordinator
        assert isinstance(coordinator, PromptRunCoordinator) and coordinator.dequeue_interval_seconds == 0.5
        queue = instance.get_concurrency_config().run_queue_config
        assert (
            queue is not None
            and queue.max_concurrent_runs == config["concurrency"]["runs"]["max_concurrent_runs"]
        )
        assert config["concurrency"]["runs"]["tag_concurrency_limits"] == queue.tag_concurrency_limits
    assert config["telemetry"] == {"enabled": False} and config["nux"] == {"enabled": False}
