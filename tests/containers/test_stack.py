"""The shipped Dockerfile and docker-compose.yml, run for real as docs/deploy.md tells an operator.

One stack for the module, in order: up and ready through the front's one port, a comment
decided, every container healthy and none restarted, the reader's address seen through the
front, workers and API scaled to 2, the stack taken down and up again with its data kept.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest

from tests.containers.conftest import MIZAN_SERVICES, ORIGIN, PROJECT, Stack, run

pytestmark = pytest.mark.containers

LONG_RUNNING = ("front", "postgres", "redis", "api", "worker", "beat")


def post_comment(stack: Stack, body: str) -> dict:
    status, answer = stack.request(
        "POST",
        "/api/v1/comments",
        {
            "post_id": "2026-11-libya-fuel",
            "author_name": "سالم",
            "author_email": f"salem-{uuid.uuid4().hex[:8]}@example.ly",
            "body": body,
        },
    )
    assert status == 202, (status, answer)
    return answer


def wait_decided(stack: Stack, answer: dict, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    status_body = None
    while time.monotonic() < deadline:
        code, status_body = stack.request("GET", answer["status_url"])
        assert code == 200, (code, status_body)
        if status_body["status"] != "pending":
            return status_body["status"]
        time.sleep(1)
    raise AssertionError(f"still pending after {timeout} s: {status_body}\n{stack.logs()}")


def restarts(stack: Stack) -> dict[str, int]:
    return {c["Name"]: c["RestartCount"] for c in stack.containers(all_=True)}


@pytest.fixture(scope="module")
def up(stack: Stack) -> Stack:
    stack("up", "-d", timeout=900)
    stack.wait_ready()
    return stack


def test_a_comment_posted_through_the_front_is_decided(up: Stack):
    answer = post_comment(up, "تقرير ممتاز، شكرا لكم على التغطية")
    assert wait_decided(up, answer) == "approved"
    code, page = up.request("GET", "/api/v1/posts/2026-11-libya-fuel/comments")
    assert code == 200 and answer["id"] in json.dumps(page), page


def test_every_role_is_healthy_and_nothing_restarted(up: Stack):
    up.wait_healthy(LONG_RUNNING)
    assert set(restarts(up).values()) == {0}, restarts(up)
    migrate = up.containers("migrate", all_=True)
    assert [c["State"]["ExitCode"] for c in migrate] == [0]
    # The image's own HEALTHCHECK finds the role it runs (a worker or beat from the image alone).
    for service in ("api", "worker", "beat"):
        (container,) = up.containers(service)
        done = run("docker", "exec", container["Id"], "mizan", "healthcheck", check=False)
        assert done.returncode == 0 and f"{service}: ok" in done.stdout, done.stdout + done.stderr
    # The app user's data directory works for a one-off command too.
    done = up("run", "--rm", "worker", "models", "list", timeout=180)
    assert "shipped" in done.stdout, done.stdout


def test_containers_get_only_what_they_need(up: Stack):
    password = up.env["POSTGRES_PASSWORD"]
    for service in MIZAN_SERVICES:
        for c in up.containers(service, all_=True):
            env = dict(e.split("=", 1) for e in c["Config"]["Env"])
            assert env.get("POSTGRES_PASSWORD", "") == "", service
            holders = sorted(k for k, v in env.items() if password in v)
            assert holders == ["MIZAN_DATABASE_URL"], (service, holders)
            assert c["Config"]["User"] == "10001:10001"
    for c in up.containers(all_=True):
        host = c["HostConfig"]
        assert host["LogConfig"]["Type"] == "json-file"
        assert host["LogConfig"]["Config"].get("max-size"), c["Name"]
        assert host["Memory"] > 0 and host["NanoCpus"] > 0, c["Name"]
    published = {
        c["Config"]["Labels"]["com.docker.compose.service"]: sorted(
            b["HostPort"] for binds in c["NetworkSettings"]["Ports"].values() for b in binds or ()
        )
        for c in up.containers()
    }
    assert {name: ports for name, ports in published.items() if ports} == {
        "front": [str(up.port)]
    }, published


READER = """
import json, sys, urllib.request, urllib.error
codes = []
for i in range(int(sys.argv[1])):
    data = json.dumps({"post_id": "flood-" + sys.argv[2], "author_name": "قارئ",
                       "author_email": "r%s-%d@example.ly" % (sys.argv[2], i),
                       "body": "تعليق رقم %d من القارئ %s" % (i, sys.argv[2])}).encode()
    req = urllib.request.Request("http://front:8080/api/v1/comments", data=data, method="POST")
    req.add_header("Content-Type", "application/json")
    req.add_header("Origin", sys.argv[3])
    # A made-up address per request: the API must not believe it.
    req.add_header("X-Forwarded-For", "203.0.113.%d" % (i + 1))
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            codes.append(resp.status)
    except urllib.error.HTTPError as exc:
        codes.append(exc.code)
print(json.dumps(codes))
"""


def test_the_api_sees_each_reader_and_believes_only_the_front(up: Stack):
    """Two readers on the front's network: one floods and is stopped, the other is not."""
    network = f"{PROJECT}_public"
    names = [f"{PROJECT}-reader-{x}-{uuid.uuid4().hex[:6]}" for x in "ab"]
    try:
        for name in names:  # both alive at once, so they cannot share an address
            run(
                "docker",
                "run",
                "-d",
                "--rm",
                "--name",
                name,
                "--network",
                network,
                "--entrypoint",
                "python",
                "mizan:latest",
                "-c",
                "import time; time.sleep(300)",
            )
        a = run("docker", "exec", names[0], "python", "-c", READER, "11", "a", ORIGIN)
        b = run("docker", "exec", names[1], "python", "-c", READER, "1", "b", ORIGIN)
    finally:
        run("docker", "rm", "-f", *names, check=False)
    codes_a, codes_b = json.loads(a.stdout), json.loads(b.stdout)
    # MIZAN_FLOOD_IP_LIMIT=10 per minute by default: the 11th from one reader is refused,
    # whatever X-Forwarded-For it sent; another reader is not affected.
    assert codes_a == [202] * 10 + [429], codes_a
    assert codes_b == [202], codes_b


def test_scaled_to_two_workers_and_two_api_replicas(up: Stack):
    up("up", "-d", "--scale", "worker=2", "--scale", "api=2", timeout=600)
    up.wait_ready(workers=2)
    assert len(up.containers("api")) == 2 and len(up.containers("worker")) == 2
    # The front spreads requests over both replicas (its access log names the upstream).
    deadline = time.monotonic() + 60
    upstreams: set[str] = set()
    api_addresses = {
        net["IPAddress"]
        for c in up.containers("api")
        for name, net in c["NetworkSettings"]["Networks"].items()
        if name.endswith("_edge")
    }
    while time.monotonic() < deadline and not api_addresses <= upstreams:
        for _ in range(6):
            assert up.request("GET", "/healthz")[0] == 200
        (front,) = up.containers("front")
        log = run("docker", "logs", "--tail", "200", front["Id"]).stdout
        upstreams = {
            w.split("=", 1)[1].rsplit(":", 1)[0] for w in log.split() if w.startswith("upstream=")
        }
        time.sleep(2)
    assert api_addresses <= upstreams, (api_addresses, upstreams)
    answers = [post_comment(up, f"شكرا على المقال رقم {i}") for i in range(4)]
    assert {wait_decided(up, a) for a in answers} == {"approved"}
    assert set(restarts(up).values()) == {0}, restarts(up)


def test_the_data_survives_down_and_up(up: Stack):
    answer = post_comment(up, "هذا التعليق يجب أن يبقى بعد إعادة التشغيل")
    assert wait_decided(up, answer) == "approved"
    up("down", timeout=300)
    up("up", "-d", timeout=600)
    up.wait_ready()
    code, body = up.request("GET", f"/api/v1/comments/{answer['id']}")
    assert code == 200 and body["id"] == answer["id"], (code, body)
    assert wait_decided(up, answer) == "approved"
    # Same port as before, and a new comment is still decided after the restart.
    assert wait_decided(up, post_comment(up, "وتعليق جديد بعد إعادة التشغيل")) == "approved"
