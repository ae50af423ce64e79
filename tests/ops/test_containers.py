"""Static validation of Dockerfile, docker-compose.yml and .env.example (no Docker engine here)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import subprocess
import sys

import pytest
import yaml

from tests.ops.conftest import ROOT

SCRIPT = ROOT / "scripts" / "check-containers"


def _load_script():
    loader = importlib.machinery.SourceFileLoader("check_containers", str(SCRIPT))
    spec = importlib.util.spec_from_loader("check_containers", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


cc = _load_script()


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def test_the_shipped_container_files_pass_every_check():
    """Schema, compose rules, each compose command run with --help, .env.example, hadolint."""
    done = run()
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "FAIL" not in out
    for expected in (
        "matches the Compose Specification schema",
        "refuses to start without",
        "commands: mizan api --help",
        "commands: mizan worker --help",
        "commands: mizan beat --help",
        "commands: mizan db upgrade --help",
        "commands: mizan healthcheck api --help",
        "commands: mizan healthcheck worker --help",
        "commands: mizan healthcheck beat --help",
        "the front publishes exactly one fixed port",
        "only the front publishes a port",
        "MIZAN_TRUSTED_PROXIES is the subnet of the front's edge network",
        ".env is git-ignored",
        "hadolint reports nothing",
        "documents every MIZAN_* variable",
    ):
        assert expected in out, out


def _with_compose(tmp_path, mutate) -> subprocess.CompletedProcess:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    mutate(data)
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return run("--compose", str(path), "--no-hadolint", "--no-commands")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["services"]["api"].update(replicas_typo=2), "compose schema: services/api"),
        (
            lambda d: d["services"]["postgres"]["environment"].update(POSTGRES_PASSWORD="hunter2"),
            "no secret written in the file",
        ),
        (lambda d: d["services"]["beat"].update(deploy={"replicas": 2}), "exactly one beat"),
        (lambda d: d["services"]["redis"].pop("healthcheck"), "redis has a health check"),
        (lambda d: d["services"]["worker"].update(command=["wroker"]), "commands: mizan wroker"),
        (
            lambda d: d["services"]["worker"]["depends_on"].pop("migrate"),
            "worker waits for migrate",
        ),
        # What running the stack for real showed (docs/deploy.md).
        (
            lambda d: d["services"]["api"].update(tmpfs=["/tmp", "/var/lib/mizan"]),
            "api's /var/lib/mizan tmpfs belongs to the image's user",
        ),
        (
            lambda d: d["services"]["api"].update(ports=["127.0.0.1:8000-8009:8000"]),
            "only the front publishes a port",
        ),
        (
            lambda d: d["services"]["front"].update(ports=["127.0.0.1:8000-8009:8080"]),
            "the front publishes exactly one fixed port",
        ),
        (
            lambda d: d["services"]["api"]["environment"].update(MIZAN_TRUSTED_PROXIES="0.0.0.0/0"),
            "MIZAN_TRUSTED_PROXIES is the subnet of the front's edge network",
        ),
        (
            lambda d: d["networks"]["edge"]["ipam"]["config"][0].update(subnet="172.31.250.0/24"),
            "is outside Docker's address pools",
        ),
        (
            lambda d: d["services"]["worker"]["networks"].append("edge"),
            "only front and api are on the edge network",
        ),
        (
            lambda d: d["services"]["worker"]["environment"].pop("POSTGRES_PASSWORD"),
            "worker does not get POSTGRES_PASSWORD from .env",
        ),
        (lambda d: d["services"]["beat"].update(healthcheck={"disable": True}), "beat has a"),
        (lambda d: d["services"]["redis"].pop("logging"), "redis rotates its logs"),
        (lambda d: d["services"]["worker"].pop("deploy"), "worker has memory and CPU limits"),
    ],
)
def test_a_broken_compose_file_fails(tmp_path, mutate, message):
    if message.startswith("commands:"):
        data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
        mutate(data)
        path = tmp_path / "docker-compose.yml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        done = run("--compose", str(path), "--no-hadolint")
    else:
        done = _with_compose(tmp_path, mutate)
    assert done.returncode == 1
    assert any(line.startswith("FAIL") and message in line for line in done.stdout.splitlines()), (
        done.stdout
    )


def test_compose_without_required_secrets_refuses_to_start(tmp_path):
    def no_required(d):
        d["x-mizan-env"]["MIZAN_SECRET_KEY"] = "${MIZAN_SECRET_KEY:-}"
        for svc in d["services"].values():
            if (
                isinstance(svc.get("environment"), dict)
                and "MIZAN_SECRET_KEY" in svc["environment"]
            ):
                svc["environment"]["MIZAN_SECRET_KEY"] = "${MIZAN_SECRET_KEY:-}"
        d["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"] = "${POSTGRES_PASSWORD:-x}"
        for svc in d["services"].values():
            env = svc.get("environment")
            if isinstance(env, dict) and "MIZAN_DATABASE_URL" in env:
                env["MIZAN_DATABASE_URL"] = "postgresql://mizan@postgres/mizan"
            if isinstance(env, dict) and "MIZAN_ALLOWED_ORIGINS" in env:
                env["MIZAN_ALLOWED_ORIGINS"] = "https://a.example"

    done = _with_compose(tmp_path, no_required)
    assert "FAIL  compose: starts with an empty environment" in done.stdout, done.stdout


def test_interpolation_follows_compose_rules():
    env = {"SET": "v", "EMPTY": ""}
    assert cc.interpolate("${SET}-${MISSING}", env) == "v-"
    assert cc.interpolate("${EMPTY:-d} ${EMPTY-d} ${MISSING-d}", env) == "d  d"
    assert cc.interpolate("$$SET ${SET:+yes}", env) == "$SET yes"
    with pytest.raises(cc.Unset):
        cc.interpolate("${EMPTY:?needed}", env)
    assert cc.interpolate("${EMPTY?needed}", env) == ""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("USER 10001:10001", "USER root"), "runs as a non-root user"),
        (
            lambda t: t.replace("HEALTHCHECK", "# HEALTHCHECK").replace(
                '  CMD ["python"', '#  CMD ["python"'
            ),
            "has a HEALTHCHECK",
        ),
        (
            lambda t: t.replace(
                "USER 10001:10001",
                "RUN apt-get install -y --no-install-recommends gcc\nUSER 10001:10001",
            ),
            "no build tools",
        ),
        (lambda t: t.replace("python:3.11-slim-bookworm", "python:latest"), "pinned to a tag"),
    ],
)
def test_a_broken_dockerfile_fails(tmp_path, change, message):
    path = tmp_path / "Dockerfile"
    path.write_text(change((ROOT / "Dockerfile").read_text()))
    done = run("--dockerfile", str(path), "--no-hadolint", "--no-commands")
    assert done.returncode == 1
    assert any(line.startswith("FAIL") and message in line for line in done.stdout.splitlines()), (
        done.stdout
    )


def test_an_undocumented_variable_fails(tmp_path):
    text = (ROOT / ".env.example").read_text().replace("# MIZAN_RETENTION_DAYS=90\n", "")
    path = tmp_path / ".env.example"
    path.write_text(text)
    done = run("--env-example", str(path), "--no-hadolint", "--no-commands")
    assert "MIZAN_RETENTION_DAYS" in done.stdout and done.returncode == 1, done.stdout
