"""Akismet client libraries that nobody here wrote, from PyPI and npm, against `mizan api`
under gunicorn: verify a key, check a polite Arabic comment, an abusive and a spam one, submit
ham and spam. The server decides in its own processes (no worker runs here)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from mizan.service.db import upgrade
from tests.conftest import REDIS_URL
from tests.processes import mizan_env, request, start_api, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BLOG = "https://news.example"
POLITE = "تغطية ممتازة، بارك الله فيكم"
ABUSIVE = "هذا الخاين يستاهل رصاصة في راسه"
SPAM = "Great post! I made $3000 a week with crypto signals, visit https://crypto-gains.example now"
# The npm client; its version is pinned so a new release cannot change what is tested.
NPM_CLIENT = "akismet-api@6.0.0"


@pytest.fixture(scope="module")
def mizan(tmp_path_factory):
    """`mizan api` on SQLite with one site; (base URL, the site's key, env)."""
    tmp = tmp_path_factory.mktemp("akismet-clients")
    url = f"sqlite:///{tmp / 'mizan.sqlite3'}"
    upgrade(url)
    env = mizan_env(url, REDIS_URL, tmp, MIZAN_AKISMET_TIMEOUT="2")
    out = subprocess.run(
        [sys.executable, "-m", "mizan.service.cli", "sites", "add", "news", "--origin", BLOG],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    key = out.stdout.strip()
    api, base = start_api(env, tmp / "api.log")
    try:
        _wait_until_decided(base, key)
        yield base, key, env
    finally:
        api.stop()


def _wait_until_decided(base: str, key: str) -> None:
    """Each API process loads its classifier in the background on its first request; until
    then comment-check answers the documented error. Wait until both answer decisions."""
    streak = {"n": 0}

    def decided() -> bool:
        form = urlencode(
            {"api_key": key, "blog": BLOG, "user_ip": "192.0.2.1", "comment_content": POLITE}
        ).encode()
        _s, _h, body = request(
            "POST",
            base + "/1.1/comment-check",
            form,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        streak["n"] = streak["n"] + 1 if body in ("true", "false") else 0
        return streak["n"] >= 8

    wait_for(decided, 90, "both API processes to have loaded the classifier", interval=0.25)


def test_the_pypi_akismet_package_pointed_at_mizan(mizan):
    import akismet
    import httpx

    base, key, _env = mizan
    port = int(base.rsplit(":", 1)[1])

    class ToMizan(httpx.HTTPTransport):
        """The package's HTTP client, with every request sent to Mizan instead."""

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=port)
            return super().handle_request(request)

    http = httpx.Client(
        transport=ToMizan(), timeout=5.0, headers={"User-Agent": akismet.USER_AGENT}
    )
    client = akismet.SyncClient.validated_client(
        config=akismet.Config(key=key, url=BLOG), http_client=http
    )
    common = dict(
        user_agent="Mozilla/5.0",
        permalink=f"{BLOG}/2026/11/power-cuts/",
        comment_type="comment",
        comment_author="سالم",
        comment_author_email="salem@example.ly",
    )
    assert client.verify_key(key, BLOG) is True
    assert client.verify_key("mz" + "0" * 32, BLOG) is False
    assert (
        client.comment_check("192.0.2.10", comment_content=POLITE, **common)
        == akismet.CheckResponse.HAM
    )
    assert client.comment_check("192.0.2.11", comment_content=ABUSIVE, **common) in (
        akismet.CheckResponse.SPAM,
        akismet.CheckResponse.DISCARD,
    )
    assert client.comment_check("192.0.2.12", comment_content=SPAM, **common) in (
        akismet.CheckResponse.SPAM,
        akismet.CheckResponse.DISCARD,
    )
    assert client.submit_ham("192.0.2.12", comment_content=SPAM, **common) is True
    assert client.submit_spam("192.0.2.10", comment_content=POLITE, **common) is True
    with pytest.raises(akismet.APIKeyError):
        akismet.SyncClient.validated_client(
            config=akismet.Config(key="mz" + "0" * 32, url=BLOG), http_client=http
        )
    http.close()


NODE_SCRIPT = r"""
// akismet-api puts the key in front of the host (KEY.host/1.1/...), as Akismet's first API
// version did. A deployment gives Mizan a wildcard DNS name for that; here name resolution
// answers 127.0.0.1 for *.localhost. The library itself is used unmodified.
const dns = require('dns');
const systemLookup = dns.lookup;
dns.lookup = (host, opts, cb) => {
  if (typeof opts === 'function') { cb = opts; opts = {}; }
  if (!host.endsWith('.localhost')) return systemLookup(host, opts, cb);
  return opts && opts.all
    ? cb(null, [{ address: '127.0.0.1', family: 4 }])
    : cb(null, '127.0.0.1', 4);
};
const { AkismetClient } = require('akismet-api');
const [port, key, blog, polite, abusive, spam] = process.argv.slice(2);
const client = new AkismetClient({ key, blog, host: `localhost:${port}`, protocol: 'http' });
const base = { ip: '192.0.2.20', useragent: 'Mozilla/5.0', name: 'سالم', email: 'salem@example.ly',
  permalink: `${blog}/2026/11/power-cuts/`, type: 'comment' };
(async () => {
  const out = {};
  out.valid = await client.verifyKey();
  out.invalid = await new AkismetClient({ key: 'mz' + '0'.repeat(32), blog,
    host: `localhost:${port}`, protocol: 'http' }).verifyKey();
  out.polite = await client.checkSpam({ ...base, content: polite });
  out.abusive = await client.checkSpam({ ...base, content: abusive });
  out.spam = await client.checkSpam({ ...base, content: spam });
  out.ham_sent = (await client.submitHam({ ...base, content: spam })).text;
  out.spam_sent = (await client.submitSpam({ ...base, content: polite })).text;
  console.log(JSON.stringify(out));
})().catch((err) => { console.error(err); process.exit(1); });
"""


@pytest.fixture(scope="module")
def npm_client(tmp_path_factory) -> Path:
    """akismet-api installed from the npm registry into a directory of this test session."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("node and npm are not installed (CI has them)")
    where = tmp_path_factory.mktemp("npm")
    (where / "package.json").write_text('{"name": "mizan-akismet-test", "private": true}')
    out = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--cache", str(where / ".npm"), NPM_CLIENT],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return where


def test_an_npm_akismet_client_with_its_host_set_to_mizan(mizan, npm_client):
    base, key, _env = mizan
    port = base.rsplit(":", 1)[1]
    (npm_client / "check.js").write_text(NODE_SCRIPT)
    started = time.monotonic()
    out = subprocess.run(
        ["node", "check.js", port, key, BLOG, POLITE, ABUSIVE, SPAM],
        cwd=npm_client,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, (out.stdout, out.stderr[-2000:])
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {
        "valid": True,
        "invalid": False,
        "polite": False,
        "abusive": True,
        "spam": True,
        "ham_sent": "Thanks for making the web a better place.",
        "spam_sent": "Thanks for making the web a better place.",
    }, result
    assert time.monotonic() - started < 60
