"""Intake throughput: POST /api/v1/comments (validate, store, enqueue) against a bare Flask JSON
endpoint served with the same gunicorn settings, in the same run, loaded by wrk from another
process. Prints the ratio (median over back-to-back pairs of runs) and p99 at half the peak
rate; writes bench/results/intake.json.

    python -m bench.intake [--db sqlite|postgres|both] [--seconds 5] [--rounds 5] [--connections 16]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.database import create_database

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

LUA = r"""
local counter = 0
local thread_id = 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  tid = tonumber(tid) or 0
  rate_delay = tonumber(args[1]) or 0
end
function delay()
  return rate_delay
end
request = function()
  counter = counter + 1
  local body = string.format(
    '{"post_id":"bench-%d","author_name":"قارئ","author_email":"reader%d.%d@example.org",' ..
    '"body":"تعليق رقم %d من الخيط %d: شكرا على المقال المفيد عن أسعار الوقود في طرابلس."}',
    counter %% 50, tid, counter, counter, tid)
  return wrk.format("POST", "/api/v1/comments", {["Content-Type"]="application/json"}, body)
end
done = function(summary, latency, requests)
  io.write(string.format("JSON {\"requests\": %d, \"duration_us\": %d, \"errors_status\": %d, " ..
    "\"errors_connect\": %d, \"errors_timeout\": %d, \"p50_ms\": %.3f, \"p99_ms\": %.3f}\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.timeout, latency:percentile(50)/1000, latency:percentile(99)/1000))
end
""".replace("%%", "%")


def wait_up(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:  # noqa: S310 - loopback only
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def wrk(
    port: int, seconds: int, connections: int, delay_ms: float = 0, lua: Path | None = None
) -> dict:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(lua),
            f"http://127.0.0.1:{port}",
            "--",
            str(delay_ms),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    m = re.search(r"^JSON (.*)$", out, re.M)
    if not m:
        raise RuntimeError(out)
    res = json.loads(m.group(1))
    res["rps"] = res["requests"] / (res["duration_us"] / 1e6)
    return res


def serve(kind: str, port: int, env: dict, args, tmp: Path, log: Path) -> subprocess.Popen:
    """Mizan or the bare reference, on exactly the same server: front (or not) and gunicorn."""
    app = "mizan.service:create_app" if kind == "mizan" else "bench.bare_app:create_app"
    if args.front:
        code = (
            "import sys\nfrom pathlib import Path\n"
            "from mizan.service.http.front import Limits\n"
            "from mizan.service.http.server import serve_with_front\n"
            f"sys.exit(serve_with_front('127.0.0.1', {port}, {args.workers}, {args.threads}, "
            f"Path({str(tmp / kind)!r}), Limits(), app={app!r}))"
        )
    else:
        code = (
            "from mizan.service.http.server import serve\n"
            f"serve('127.0.0.1:{port}', {args.workers}, {args.threads}, app={app!r})"
        )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        stdout=open(log, "ab"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )


def measure(db: str, args, tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIZAN_")}
    url, drop_database = create_database(db, args.pg_admin, tmp)
    env.update(
        MIZAN_DATABASE_URL=url,
        MIZAN_BROKER_URL=args.redis,
        MIZAN_DATA_DIR=str(tmp),
        MIZAN_SECRET_KEY="bench-secret-" + "z" * 40,
        MIZAN_LOG_LEVEL="WARNING",
        # Flood and duplicate rules would refuse a load generator on one address: off here.
        MIZAN_FLOOD_EMAIL_LIMIT="0",
        MIZAN_FLOOD_IP_LIMIT="0",
        MIZAN_FLOOD_HOLD_EMAIL_LIMIT="0",
        MIZAN_FLOOD_HOLD_IP_LIMIT="0",
        MIZAN_DUPLICATE_WINDOW="0",
    )
    lua = tmp / "post.lua"
    lua.write_text(LUA)
    result = {"db": db}
    procs = []
    try:
        for kind, port in (("bare", args.port), ("mizan", args.port + 1)):
            p = serve(kind, port, env, args, tmp, tmp / f"{kind}.log")
            procs.append(p)
            wait_up(f"http://127.0.0.1:{port}/healthz", p)
        import redis

        r = redis.Redis.from_url(args.redis)
        rounds = []
        for n in range(args.rounds):  # alternate to spread the machine's noise over both
            for kind, port in (("bare", args.port), ("mizan", args.port + 1)):
                if n == 0:
                    wrk(port, 2, args.connections, lua=lua)  # warm-up
                rounds.append((kind, wrk(port, args.seconds, args.connections, lua=lua)))
                r.delete("mizan.score")
        for kind in ("bare", "mizan"):
            runs = [res for k, res in rounds if k == kind]
            best = max(runs, key=lambda x: x["rps"])
            result[kind] = {
                "peak_rps": round(best["rps"], 1),
                "p99_ms_at_peak": best["p99_ms"],
                "errors": sum(x["errors_status"] + x["errors_connect"] for x in runs),
            }
        # Other jobs on the machine move both servers' figures by a factor of two from minute to
        # minute; a ratio within each back-to-back pair, and the median over pairs, does not.
        pairs = [
            m["rps"] / b["rps"] for (_, b), (_, m) in zip(rounds[0::2], rounds[1::2], strict=True)
        ]
        result["pair_ratios"] = [round(x, 3) for x in pairs]
        result["ratio"] = round(statistics.median(pairs), 3)
        half = result["mizan"]["peak_rps"] / 2
        delay_ms = args.connections / half * 1000
        paced = wrk(args.port + 1, args.seconds, args.connections, delay_ms=delay_ms, lua=lua)
        result["mizan"]["half_peak"] = {
            "target_rps": round(half, 1),
            "achieved_rps": round(paced["rps"], 1),
            "p50_ms": paced["p50_ms"],
            "p99_ms": paced["p99_ms"],
        }
        r.delete("mizan.score")
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
        drop_database()
    return result


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument(
        "--no-front",
        dest="front",
        action="store_false",
        help="gunicorn alone on the port (the layout behind nginx), for both servers",
    )
    ap.add_argument("--port", type=int, default=18431)
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    ap.add_argument("--pg-admin", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed (Debian package 'wrk')")
    results = []
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        with tempfile.TemporaryDirectory() as tmp:
            res = measure(db, args, Path(tmp))
        results.append(res)
        m = res["mizan"]
        print(
            f"{db:9s} intake {m['peak_rps']:8.1f}/s  bare {res['bare']['peak_rps']:8.1f}/s  "
            f"ratio {res['ratio']:.3f}x (pairs {res['pair_ratios']})\n"
            f"          p99 at half peak ({m['half_peak']['achieved_rps']}/s): "
            f"{m['half_peak']['p99_ms']:.1f} ms"
        )
    report = {
        "command": "python -m bench.intake " + " ".join(sys.argv[1:]),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "settings": {
            "workers": args.workers,
            "threads": args.threads,
            "front": args.front,
            "connections": args.connections,
            "seconds": args.seconds,
            "rounds": args.rounds,
        },
        "results": results,
    }
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "intake.json").write_text(
            json.dumps(report, indent=2, ensure_ascii=False) + "\n"
        )


if __name__ == "__main__":
    main()
