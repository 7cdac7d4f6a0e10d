# SPDX-License-Identifier: MIT
"""Behind a trusted reverse proxy (--trusted-proxy / JETON_TRUSTED_PROXIES), the client is the
right-most X-Forwarded-For hop that is not a trusted proxy: login throttling, the audit log and
a token's last-used address are per client, not per proxy. From any other peer, and without the
setting, X-Forwarded-For is ignored."""
import pytest

from conftest import HTTP_TIMEOUT, Server, describe, poll, run_jeton, unique_email
from oauth_helpers import Browser, add_user

CLIENT_A = "198.51.100.1"
CLIENT_B = "198.51.100.2"


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """A server that trusts 127.0.0.1, the address every test request comes from."""
    s = Server(tmp_path_factory.mktemp("proxied"), extra_args=["--trusted-proxy", "127.0.0.1/32"])
    s.start()
    yield s
    s.finish()


def _browser(server, forwarded_for):
    b = Browser(server)
    b.s.headers["X-Forwarded-For"] = forwarded_for
    return b


def _audit(server, action, actor):
    """The newest audit event of action by actor, once it is stored."""
    def newest():
        r = server.get("/v1/audit", server.admin_token, params={"action": action, "actor": actor})
        assert r.status_code == 200, describe(r)
        return r.json()["items"][:1]
    found = poll(newest)
    assert found, f"no {action} event for {actor}"
    return found[0]


def _last_used_ip(server, token, forwarded_for):
    """Uses token with X-Forwarded-For and returns the address the server recorded for it."""
    headers = {"X-Forwarded-For": forwarded_for}

    def recorded():
        r = server.get("/v1/users/me/access_tokens", token, headers=headers)
        if r.status_code == 401:   # a token made by the CLI reaches the server within 1 s
            return None
        assert r.status_code == 200, describe(r)
        return [t["last_used_ip"] for t in r.json()["items"] if t["last_used_ip"]]
    ips = poll(recorded)
    assert ips, "the token's use was not recorded"
    return ips[0]


def test_clients_behind_the_proxy_have_separate_login_throttles(proxied):
    user = add_user(proxied)
    a = _browser(proxied, f"6.6.6.6, {CLIENT_A}")   # the client's own left part proves nothing
    status = None
    for _ in range(60):                              # the per-address limit is 20 failures
        status = a.login(unique_email("nobody"), "wrong-password-123").status_code
        if status == 429:
            break
        assert status == 401, status
    assert status == 429, "client A was never throttled"
    assert a.login(user["email"], user["password"]).status_code == 429
    r = _browser(proxied, CLIENT_B).login(user["email"], user["password"])
    assert r.status_code == 303, f"client B was locked out by client A's failures: {describe(r)}"


def test_audit_log_records_the_forwarded_client(proxied):
    user = add_user(proxied)
    r = _browser(proxied, CLIENT_B).login(user["email"], user["password"])
    assert r.status_code == 303, describe(r)
    assert _audit(proxied, "login.succeeded", user["email"])["ip"] == CLIENT_B


def test_last_used_address_is_the_forwarded_client(proxied):
    user = add_user(proxied)
    token = proxied.create_token(user["email"], check=False)   # its first use is ours
    assert _last_used_ip(proxied, token, f"{CLIENT_A}, 127.0.0.1") == CLIENT_A


def test_forwarded_for_is_ignored_without_the_setting(server):
    user = add_user(server)
    r = _browser(server, CLIENT_B).login(user["email"], user["password"])
    assert r.status_code == 303, describe(r)
    assert _audit(server, "login.succeeded", user["email"])["ip"] == "127.0.0.1"
    token = server.create_token(user["email"], check=False)
    assert _last_used_ip(server, token, CLIENT_A) == "127.0.0.1"


def test_forwarded_for_from_a_peer_that_is_not_trusted_is_ignored(tmp_path):
    s = Server(tmp_path, env={"JETON_TRUSTED_PROXIES": "10.0.0.0/8, 2001:db8::/32"})
    s.start()
    try:
        user = add_user(s)
        r = _browser(s, CLIENT_B).login(user["email"], user["password"])
        assert r.status_code == 303, describe(r)
        assert _audit(s, "login.succeeded", user["email"])["ip"] == "127.0.0.1"
    finally:
        s.finish()


@pytest.mark.parametrize("value", ["10.0.0.0/33", "proxy.internal", "10.0.0.1:8080"])
def test_serve_refuses_a_trusted_proxy_that_is_not_a_cidr(tmp_path, value):
    p = run_jeton("serve", "--listen", "127.0.0.1:1", "--db", tmp_path / "x.db",
                  "--trusted-proxy", value, timeout=HTTP_TIMEOUT)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "--trusted-proxy" in p.stderr
    assert not (tmp_path / "x.db").exists()
