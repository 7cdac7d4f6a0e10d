# SPDX-License-Identifier: MIT
"""The instance's token lifetime policy (issue 14, part 4): `jeton policy set|show`,
GET/PUT /v1/policy (admins) and the console's Policy page; creating or rotating a PAT
beyond it is refused with the limit stated, on every path (API, console, CLI); the
console's expiry choices follow it."""
import datetime as dt

import pytest

from conftest import cli_ok, describe, poll, rfc3339, unique
from oauth_helpers import Browser, add_user, find_form, page_text

DAY = 86400


@pytest.fixture(autouse=True)
def no_policy(server):
    """Each test starts and ends without a policy, so that the module's tokens can be made."""
    server.admin_token  # made before any policy
    cli_ok(server.cli("policy", "set", "--pat-max-lifetime", "none", "--no-pat-require-expiry"))
    yield
    cli_ok(server.cli("policy", "set", "--pat-max-lifetime", "none", "--no-pat-require-expiry"))


def put_policy(server, **body):
    r = server.put("/v1/policy", server.admin_token, json=body)
    assert r.status_code == 200, describe(r)
    return r.json()


def in_days(server, days):
    return rfc3339(server.now() + dt.timedelta(days=days))


def test_cli_sets_and_shows_the_policy_and_the_api_reads_it(server):
    p = cli_ok(server.cli("policy", "set", "--pat-max-lifetime", "90d", "--pat-require-expiry"))
    assert "90d" in p.stdout
    shown = cli_ok(server.cli("policy", "show"))
    assert "pat_max_lifetime    90d" in shown.stdout
    assert "pat_require_expiry  yes" in shown.stdout
    r = server.get("/v1/policy", token=server.admin_token)
    assert r.status_code == 200, describe(r)
    body = r.json()
    assert body["pat_max_lifetime"] == "90d"
    assert body["pat_max_lifetime_seconds"] == 90 * DAY
    assert body["pat_require_expiry"] is True


def test_put_changes_only_the_fields_it_names_and_is_audited(server):
    put_policy(server, pat_require_expiry=True)
    body = put_policy(server, pat_max_lifetime="30d")
    assert body["pat_max_lifetime"] == "30d" and body["pat_require_expiry"] is True
    body = put_policy(server, pat_max_lifetime=None)
    assert body["pat_max_lifetime"] is None and body["pat_require_expiry"] is True

    assert poll(lambda: any("pat_max_lifetime=30d" in e["target"]
                            for e in server.audit_events("policy.changed")))


def test_a_bad_lifetime_is_refused(server):
    r = server.put("/v1/policy", server.admin_token, json={"pat_max_lifetime": "ninety days"})
    assert r.status_code == 400, describe(r)
    assert "90d" in r.json()["error_description"]
    p = server.cli("policy", "set", "--pat-max-lifetime", "0d")
    assert p.returncode == 2, p.stderr


def test_require_2fa_is_admins_all_or_null_in_the_api(server):
    try:
        assert put_policy(server, require_2fa="admins")["require_2fa"] == "admins"
        for bad in ("none", "everyone", "", 1):        # "none" is the console's and CLI's word
            r = server.put("/v1/policy", server.admin_token, json={"require_2fa": bad})
            assert r.status_code == 400 and "require_2fa" in r.text, describe(r)
        assert server.get("/v1/policy", token=server.admin_token).json()["require_2fa"] == "admins"
        assert put_policy(server, require_2fa=None)["require_2fa"] is None      # nobody
    finally:
        cli_ok(server.cli("policy", "set", "--require-2fa", "none"))


def test_only_admins_read_or_change_the_policy(server):
    user = server.new_user()
    token = server.create_token(user["email"])
    assert server.get("/v1/policy", token=token).status_code == 403
    assert server.put("/v1/policy", token, json={"pat_max_lifetime": "1d"}).status_code == 403


def test_create_beyond_the_maximum_lifetime_is_refused_stating_the_limit(server):
    token = server.create_token("admin@localhost")
    put_policy(server, pat_max_lifetime="90d")
    r = server.post("/v1/users/me/access_tokens", token,
                    json={"name": "long", "expires_at": in_days(server, 91)})
    assert r.status_code == 400, describe(r)
    assert r.json()["error"] == "policy_violation"
    assert "at most 90d" in r.json()["error_description"]

    r = server.post("/v1/users/me/access_tokens", token, json={"name": "never"})
    assert r.status_code == 400, describe(r)
    assert "at most 90d" in r.json()["error_description"]

    r = server.post("/v1/users/me/access_tokens", token,
                    json={"name": "ok", "expires_at": in_days(server, 89)})
    assert r.status_code == 201, describe(r)


def test_require_expiry_refuses_a_token_that_never_expires(server):
    token = server.create_token("admin@localhost")
    put_policy(server, pat_require_expiry=True)
    r = server.post("/v1/users/me/access_tokens", token, json={"name": "forever"})
    assert r.status_code == 400, describe(r)
    assert "requires every personal access token to expire" in r.json()["error_description"]
    r = server.post("/v1/users/me/access_tokens", token,
                    json={"name": "a year", "expires_at": in_days(server, 365)})
    assert r.status_code == 201, describe(r)


def test_rotating_a_token_beyond_the_policy_is_refused(server):
    token = server.create_token("admin@localhost")
    r = server.post("/v1/users/me/access_tokens", token, json={"name": "old, never expires"})
    assert r.status_code == 201, describe(r)
    old = r.json()
    put_policy(server, pat_max_lifetime="30d")
    r = server.post(f"/v1/users/me/access_tokens/{old['id']}/rotate", token)
    assert r.status_code == 400, describe(r)
    assert "at most 30d" in r.json()["error_description"]
    assert server.token_works(old["token"])  # refused, not revoked

    p = server.cli("token", "rotate", str(old["id"]))
    assert p.returncode == 1 and "at most 30d" in p.stderr, p.stderr


def test_the_cli_obeys_the_policy_too(server):
    cli_ok(server.cli("policy", "set", "--pat-max-lifetime", "7d"))
    p = server.cli("token", "create", "--user", "admin@localhost", "--name", unique("c"))
    assert p.returncode == 1 and "at most 7d" in p.stderr, p.stderr
    p = server.cli("token", "create", "--user", "admin@localhost", "--name", unique("c"),
                   "--expires", "7d")
    assert p.returncode == 0, p.stderr


def test_console_expiry_choices_follow_the_policy_and_admins_edit_it(server):
    user = add_user(server, admin=True)
    b = Browser(server)
    assert b.login(user["email"], user["password"]).status_code == 303
    page = b.get("/console/tokens")
    assert 'value="never"' in page.text and 'value="90"' in page.text

    form = find_form(b.get("/console/policy"), "/console/policy")
    data = dict(form.fields)
    data.update(pat_max_lifetime="30d")
    r = b.post("/console/policy", data=data)
    assert r.status_code == 303, describe(r)
    assert server.get("/v1/policy", token=server.admin_token).json()["pat_max_lifetime"] == "30d"

    page = b.get("/console/tokens")
    assert 'value="never"' not in page.text
    assert 'value="90"' not in page.text and 'value="30"' in page.text
    assert "at most 30d" in page_text(page.text)

    # a date past the limit typed anyway is refused with the limit stated
    form = find_form(page, "/console/tokens")
    data = dict(form.fields)
    far = (server.now() + dt.timedelta(days=60)).strftime("%Y-%m-%d")
    data.update(name="too long", scope_read_content="1", expiry="date", expires_on=far)
    r = b.post("/console/tokens", data=data)
    assert r.status_code == 400, describe(r)
    assert "at most 30d" in page_text(r.text)


def test_the_policy_page_is_for_admins_only(server):
    user = add_user(server)
    b = Browser(server)
    assert b.login(user["email"], user["password"]).status_code == 303
    assert b.get("/console/policy").status_code == 403
