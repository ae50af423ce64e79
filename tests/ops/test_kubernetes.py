"""deploy/kubernetes/: valid against the Kubernetes schemas, the roles' rules, scaling.md's sums.

The schemas are the ones bundled with kubernetes-validate (PyPI), so this runs offline.
"""

from __future__ import annotations

import re

import kubernetes_validate
import pytest
import yaml
from click.testing import CliRunner

from mizan.service.cli import main
from tests.ops.conftest import ROOT

K8S = ROOT / "deploy" / "kubernetes"
VERSION = "1.37.0"


def documents() -> list[tuple[str, dict]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                docs.append((path.name, doc))
    return docs


def resource(kind: str, name: str) -> dict:
    found = [d for _, d in documents() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, (kind, name)
    return found[0]


def container(kind: str, name: str) -> dict:
    (c,) = resource(kind, name)["spec"]["template"]["spec"]["containers"]
    return c


@pytest.mark.parametrize(
    ("file", "doc"), documents(), ids=lambda v: v if isinstance(v, str) else v["kind"]
)
def test_every_manifest_matches_the_kubernetes_schema(file, doc):
    kubernetes_validate.validate(doc, VERSION, strict=True)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["spec"].update(replicas="two"),
        lambda d: d["spec"]["template"]["spec"]["containers"][0].update(readinessprobe={}),
        lambda d: d["spec"].pop("selector"),
    ],
)
def test_the_validator_rejects_a_broken_manifest(change):
    doc = yaml.safe_load(yaml.safe_dump(resource("Deployment", "mizan-api")))
    change(doc)
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, VERSION, strict=True)


@pytest.mark.parametrize("name", ["mizan-api", "mizan-worker"])
def test_api_and_worker_have_probes_and_resource_requests(name):
    c = container("Deployment", name)
    assert c.get("readinessProbe") and c.get("livenessProbe"), name
    requests = c["resources"]["requests"]
    assert requests.get("cpu") and requests.get("memory"), name
    assert c["resources"]["limits"].get("memory"), name


def test_exactly_one_beat_never_two_during_an_update():
    beat = resource("Deployment", "mizan-beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate"
    assert not [
        d
        for _, d in documents()
        if d["kind"] == "HorizontalPodAutoscaler"
        and d["spec"]["scaleTargetRef"]["name"] == "mizan-beat"
    ]


def test_migrate_is_a_job_that_waits_for_the_database():
    c = resource("Job", "mizan-migrate")["spec"]["template"]["spec"]["containers"][0]
    assert c["args"][:2] == ["db", "upgrade"] and "--wait" in c["args"]


def test_the_worker_scales_on_the_queue_the_api_exports():
    hpa = resource("HorizontalPodAutoscaler", "mizan-worker")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "mizan-worker"
    (metric,) = hpa["spec"]["metrics"]
    assert metric["type"] == "External"
    name = metric["external"]["metric"]["name"]
    queue = metric["external"]["metric"]["selector"]["matchLabels"]["queue"]
    from mizan.service.queue import DEFAULT_QUEUE

    assert queue == DEFAULT_QUEUE
    assert f'"{name}"' in (ROOT / "service" / "http" / "metrics.py").read_text()


def test_every_mizan_command_in_the_manifests_exists():
    commands = []
    for _, d in documents():
        spec = d.get("spec", {}).get("template", {}).get("spec", {})
        for c in spec.get("containers", []):
            commands.append(c["args"])
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                exec_ = (c.get(probe) or {}).get("exec")
                if exec_:
                    assert exec_["command"][0] == "mizan"
                    commands.append(exec_["command"][1:])
    for argv in commands:
        words = [a for a in argv if not a.startswith("-")][:2]
        words = words if words[0] in ("db", "healthcheck") else words[:1]
        res = CliRunner().invoke(main, [*words, "--help"])
        assert res.exit_code == 0 and "Usage:" in res.output, (argv, res.output)


def _cpu(value: str) -> float:
    return float(value[:-1]) / 1000 if value.endswith("m") else float(value)


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def test_the_scaling_arithmetic_is_the_manifests():
    doc = " ".join((ROOT / "docs" / "scaling.md").read_text().split())
    config = resource("ConfigMap", "mizan")["data"]
    s = _number(re.search(r"S ≈ ([\d,]+) comments/s per worker process", doc).group(1))
    i = _number(re.search(r"I ≈ ([\d,]+) requests/s per API core", doc).group(1))
    peak = _number(re.search(r"peak ([\d,]+) comments/s\)", doc).group(1))

    hpa = resource("HorizontalPodAutoscaler", "mizan-worker")["spec"]
    lo, hi = hpa["minReplicas"], hpa["maxReplicas"]
    per_pod = int(config["MIZAN_WORKER_CONCURRENCY"])
    cpu = _cpu(container("Deployment", "mizan-worker")["resources"]["requests"]["cpu"])
    assert cpu == per_pod  # one core per worker process, as the capacity figure assumes
    target = int(hpa["metrics"][0]["external"]["target"]["averageValue"])
    assert f"{lo} to {hi} pods × {per_pod} process (`MIZAN_WORKER_CONCURRENCY`), {cpu:g} CPU" in doc
    assert f"That is {lo * per_pod * s:,} to {hi * per_pod * s:,} comments/s" in doc
    assert f"{lo * per_pod * s / peak:.1f}× to {hi * per_pod * s / peak:.1f}× the peak" in doc
    assert f"HPA target of {target} waiting comments per pod is {target / s:.1f} s" in doc

    hpa = resource("HorizontalPodAutoscaler", "mizan-api")["spec"]
    lo, hi = hpa["minReplicas"], hpa["maxReplicas"]
    util = hpa["metrics"][0]["resource"]["target"]["averageUtilization"]
    api = container("Deployment", "mizan-api")
    cores = _cpu(api["resources"]["requests"]["cpu"])
    workers, threads = int(config["MIZAN_API_WORKERS"]), int(config["MIZAN_API_THREADS"])
    assert f"{lo} to {hi} pods of {workers} gunicorn processes × {threads} threads" in doc
    assert f"{cores:g} CPU requested each: {lo * cores * i:,.0f} to {hi * cores * i:,.0f}" in doc
    assert f"{lo * cores * i / peak:.1f}× to {hi * cores * i / peak:.1f}×" in doc
    assert f"at {util}% of the requested CPU, about {util * cores * i / 100:.0f} requests/s" in doc

    pool = 5  # MIZAN_DB_POOL_SIZE's default, and as many again on overflow
    connections = (
        hi * workers * 2 * pool
        + resource("HorizontalPodAutoscaler", "mizan-worker")["spec"]["maxReplicas"]
        * per_pod
        * 2
        * pool
    )
    assert f"= {connections} connections" in doc
