# SPDX-License-Identifier: MIT
"""The admins' token inventory (issue 14, part 2): GET /v1/tokens lists every token of
every kind without secrets, filtered and paged; POST /v1/tokens/revoke revokes by ids or
by filter (dry run first) as one audited event; `jeton token list --all` and
`jeton token revoke --unused-for`; the console's All tokens page; users see the tokens
that expire within 7 days."""
import datetime as dt
import json
import re

import jwt
import pytest

from conftest import Server, assert_error, cli_ok, describe, json_lines, poll, rfc3339, unique
from oauth_helpers import (Browser, add_user, admin_browser, client_token, code_app, create_app,
                           find_form, me_status, member, page_text, tokens)

DAY = 86400


def inventory(server, **params):
    r = server.get("/v1/tokens", token=server.admin_token, params=params)
    assert r.status_code == 200, describe(r)
    return r.json()


def refs(server, **params):
    return {t["ref"] for t in inventory(server, limit=100, **params)["items"]}


@pytest.fixture
def user(server):
    u = member(server, role="editor", name="Inv User")
    u["pat"] = server.create_token(u["email"], name=unique("inv"))
    return u


def test_every_kind_is_listed_with_its_owner_and_never_a_secret(server, user):
    app = code_app(server, name="Inventory App")
    t = tokens(server, app, user)
    machine = create_app(server, name="Machine", grants=["client_credentials"],
                         scopes=["read_content"])
    r = client_token(server, machine)
    assert r.status_code == 200, describe(r)

    items = inventory(server, user=user["email"], limit=100)["items"]
    kinds = sorted(i["kind"] for i in items)
    assert kinds == ["access", "pat", "refresh"], items
    access = next(i for i in items if i["kind"] == "access")
    assert access["user"]["email"] == user["email"]
    assert access["app"]["client_id"] == app["client_id"]
    assert access["space_id"] == user["space"]["id"]
    assert access["status"] == "active" and access["format"] == "opaque"
    body = json.dumps(items)
    for secret in (user["pat"], t["access_token"], t["refresh_token"]):
        assert secret not in body
    assert "hash" not in body

    clients = inventory(server, app=machine["client_id"])["items"]
    assert [i["kind"] for i in clients] == ["client"] and clients[0]["user"] is None


def test_filters_kind_status_app_and_created_before(server, user):
    app = code_app(server)
    tokens(server, app, user)
    pat_ref = next(iter(refs(server, user=user["email"], kind="pat")))
    assert pat_ref.startswith("pat:")
    assert {r.split(":")[0] for r in refs(server, user=user["email"], app=app["id"])} == \
        {"access", "refresh"}
    pid = int(pat_ref.split(":")[1])
    r = server.delete(f"/v1/users/me/access_tokens/{pid}", token=user["pat"])
    assert r.status_code == 204, describe(r)
    assert refs(server, user=user["email"], status="revoked") == {pat_ref}
    assert pat_ref not in refs(server, user=user["email"], status="active")
    future = rfc3339(server.now() + dt.timedelta(days=1))
    assert pat_ref in refs(server, user=user["email"], created_before=future)
    assert refs(server, user=user["email"], created_before="2020-01-01") == set()


def pages(server, **params):
    """Every item of GET /v1/tokens with params, two a page."""
    seen, before = [], None
    for _ in range(50):
        page = inventory(server, limit=2, **params, **({"before": before} if before else {}))
        seen += page["items"]
        before = page["next_before"]
        if not before:
            return seen
    raise AssertionError("more pages than tokens")


def test_expired_lists_exactly_the_expired_tokens_newest_first_a_page_at_a_time(tmp_path):
    """The expired list looks within expiry windows that grow until a page is full: it must
    give what the whole list gives, filtered, in the same order, across every window."""
    s = Server(tmp_path).start()
    try:
        u = member(s)
        app = code_app(s)
        s.create_token(u["email"], name="twenty-days", expires="20d", check=False)
        s.create_token(u["email"], name="never", check=False)
        s.create_token(u["email"], name="one-day", expires="1d", check=False)
        s.advance(2 * DAY)
        s.create_token(u["email"], name="one-more-day", expires="1d", check=False)
        tokens(s, app, u)  # an access token of 15 minutes, a refresh token of 30 days
        s.advance(10 * DAY)
        s.create_token(u["email"], name="eight-days", expires="8d", check=False)
        s.create_token(u["email"], name="ten-days", expires="10d", check=False)
        s.advance(9 * DAY)

        everything = pages(s)
        want = [i["ref"] for i in everything if i["status"] == "expired"]
        names = {i["name"] for i in everything if i["status"] == "expired"} - {None}
        assert names == {"twenty-days", "one-day", "one-more-day", "eight-days"}, everything
        assert [i["ref"] for i in pages(s, status="expired")] == want
        assert sum(r.startswith("access:") for r in want) == 1
        assert [i["ref"] for i in pages(s, status="expired", kind="pat")] == \
            [r for r in want if r.startswith("pat:")]
        old = rfc3339(s.now() - dt.timedelta(days=15))
        assert [i["ref"] for i in pages(s, status="expired", created_before=old)] == \
            [i["ref"] for i in everything
             if i["status"] == "expired" and i["created_at"] < old]
    finally:
        s.finish()


def test_a_bad_filter_is_refused_with_what_was_expected(server):
    r = server.get("/v1/tokens", token=server.admin_token, params={"kind": "cookie"})
    assert r.status_code == 400, describe(r)
    assert "pat, access, refresh or client" in r.json()["error_description"]
    r = server.get("/v1/tokens", token=server.admin_token, params={"unused_for": "soon"})
    assert r.status_code == 400, describe(r)


def test_keyset_pages_cover_every_token_once(server):
    u = member(server)
    for i in range(5):
        server.create_token(u["email"], name=f"page{i}", check=False)
    seen, before = [], None
    for _ in range(10):
        params = {"user": u["email"], "limit": 2}
        if before:
            params["before"] = before
        page = inventory(server, **params)
        seen += [i["ref"] for i in page["items"]]
        before = page["next_before"]
        if not before:
            break
    assert len(seen) == 5 and len(set(seen)) == 5


def test_only_admins_see_the_inventory(server, user):
    r = server.get("/v1/tokens", token=user["pat"])
    assert r.status_code == 403, describe(r)
    r = server.post("/v1/tokens/revoke", user["pat"], json={"kind": "pat", "dry_run": True})
    assert r.status_code == 403, describe(r)


def test_bulk_revoke_needs_an_admin_with_every_admin_scope(server):
    # it reaches admins' tokens too: a narrower manage_users token may list, not revoke
    manager = add_user(server, admin=True)
    narrow = server.create_token(manager["email"], scopes=["manage_users"])
    kept = server.create_token(manager["email"], name=unique("kept"))
    assert server.get("/v1/tokens", token=narrow).status_code == 200
    r = server.post("/v1/tokens/revoke", narrow, json={"user": manager["email"]})
    assert_error(r, 403, "forbidden")
    assert server.token_works(kept)


def test_bulk_revoke_by_filter_dry_run_first_then_one_audited_event(server):
    u = member(server)
    a = server.create_token(u["email"], name="a", check=False)
    b = server.create_token(u["email"], name="b", check=False)
    r = server.post("/v1/tokens/revoke", server.admin_token,
                    json={"user": u["email"], "kind": "pat", "dry_run": True})
    assert r.status_code == 200, describe(r)
    assert r.json() == {"count": 2, "dry_run": True}
    assert server.token_works(a)

    r = server.post("/v1/tokens/revoke", server.admin_token,
                    json={"user": u["email"], "kind": "pat"})
    assert r.json() == {"count": 2, "dry_run": False}
    assert me_status(server, a) == 401 and me_status(server, b) == 401
    items = inventory(server, user=u["email"])["items"]
    assert {i["revocation_reason"] for i in items} == {"bulk"}

    def audited():
        return [e for e in server.audit_events("token.bulk_revoked")
                if f"user={u['email']}" in e["target"]]
    events = poll(audited)
    assert events and len(audited()) == 1
    assert audited()[0]["target"].startswith("2 tokens")


def test_bulk_revoke_needs_ids_or_a_filter(server):
    r = server.post("/v1/tokens/revoke", server.admin_token, json={})
    assert r.status_code == 400, describe(r)
    # the answer names every filter there is
    assert r.json()["error_description"].endswith(
        "(user, app, kind, status, unused_for, expires_within, created_before, jti)."), describe(r)
    r = server.post("/v1/tokens/revoke", server.admin_token, json={"ids": ["cookie:1"]})
    assert r.status_code == 400, describe(r)


def test_bulk_revoke_by_ids(server, user):
    app = code_app(server)
    t = tokens(server, app, user)
    access = next(i for i in inventory(server, user=user["email"], kind="access")["items"])
    r = server.post("/v1/tokens/revoke", server.admin_token, json={"ids": [access["ref"]]})
    assert r.status_code == 200, describe(r)
    assert r.json()["count"] == 1
    assert me_status(server, t["access_token"]) == 401
    assert server.token_works(user["pat"])


def test_tokens_revoked_before_a_store_failure_are_refused_at_once_and_audited(server, user):
    app = code_app(server)
    t = tokens(server, app, user)
    access = next(i for i in inventory(server, user=user["email"], kind="access")["items"])
    pat = next(i for i in inventory(server, user=user["email"], kind="pat")["items"])
    assert me_status(server, t["access_token"]) == 200      # verified: in the server's cache
    pat_id = int(pat["ref"].split(":")[1])
    # the store fails on the second token named: an error of the store, not a refused value
    on_pg = hasattr(server.db, "sql")
    if on_pg:
        server.store_sql("CREATE FUNCTION jt_refuse() RETURNS trigger LANGUAGE plpgsql AS "
                         "$$BEGIN RAISE EXCEPTION 'refused'; END$$")
        server.store_sql(f"CREATE TRIGGER jt_refuse BEFORE UPDATE ON pats FOR EACH ROW "
                         f"WHEN (NEW.id = {pat_id}) EXECUTE FUNCTION jt_refuse()")
    else:
        # an error at run time (an integer overflow), of that row's update only
        server.store_sql(f"CREATE TRIGGER jt_refuse BEFORE UPDATE ON pats WHEN NEW.id = {pat_id} "
                         f"BEGIN SELECT abs(-9223372036854775807 - 1); END")
    try:
        r = server.post("/v1/tokens/revoke", server.admin_token,
                        json={"ids": [access["ref"], pat["ref"]]})
    finally:
        server.store_sql("DROP TRIGGER jt_refuse" + (" ON pats" if on_pg else ""))
    assert_error(r, 503, "temporarily_unavailable")
    assert me_status(server, t["access_token"]) == 401   # revoked first: refused now
    assert server.token_works(user["pat"])

    assert poll(lambda: [e for e in server.audit_events("token.bulk_revoked")
                         if e["target"] == "1 tokens (ids=2), then the store failed"])


def jti_of(token):
    return jwt.decode(token, options={"verify_signature": False})["jti"]


def test_jwts_are_listed_found_and_revoked_by_their_jti(server, user):
    app = code_app(server, token_format="jwt")
    t = tokens(server, app, user)
    machine = create_app(server, grants=["client_credentials"], scopes=["read_content"],
                         token_format="jwt")
    r = client_token(server, machine)
    assert r.status_code == 200, describe(r)
    machine_jwt = r.json()["access_token"]
    jti = jti_of(t["access_token"])

    items = {i["kind"]: i for i in inventory(server, user=user["email"], limit=100)["items"]}
    assert items["access"]["format"] == "jwt" and items["access"]["jti"] == jti
    assert items["refresh"]["format"] == "opaque" and items["refresh"]["jti"] is None
    assert items["pat"]["jti"] is None

    # one JWT by its jti, a client-credentials JWT too
    found = inventory(server, jti=jti_of(machine_jwt))["items"]
    assert [(i["kind"], i["format"], i["jti"]) for i in found] == \
        [("client", "jwt", jti_of(machine_jwt))]
    assert inventory(server, jti=jti, kind="client")["items"] == []
    assert inventory(server, jti="0" * 22)["items"] == []
    r = server.get("/v1/tokens", token=server.admin_token, params={"jti": "not-a-jti"})
    assert r.status_code == 400, describe(r)
    assert '"jti"' in r.json()["error_description"]
    p = cli_ok(server.cli("token", "list", "--all", "--jti", jti, "--json"))
    assert [i["ref"] for i in json_lines(p.stdout)] == [items["access"]["ref"]]

    # revoked by its jti through the bulk revocation: that JWT alone, at once
    r = server.post("/v1/tokens/revoke", server.admin_token, json={"jti": jti, "dry_run": True})
    assert r.json() == {"count": 1, "dry_run": True}, describe(r)
    assert me_status(server, t["access_token"]) == 200
    r = server.post("/v1/tokens/revoke", server.admin_token, json={"jti": jti})
    assert r.json() == {"count": 1, "dry_run": False}, describe(r)
    assert me_status(server, t["access_token"]) == 401
    assert me_status(server, machine_jwt) == 200
    assert server.token_works(user["pat"])
    [revoked] = inventory(server, jti=jti)["items"]
    assert revoked["status"] == "revoked" and revoked["revocation_reason"] == "bulk"


def test_tokens_beyond_the_policy_are_flagged_not_revoked(server, user):
    r = server.put("/v1/policy", server.admin_token, json={"pat_max_lifetime": "30d"})
    assert r.status_code == 200, describe(r)
    try:
        items = inventory(server, user=user["email"], kind="pat")["items"]
        assert [i["exceeds_policy"] for i in items] == [True]  # never expires
        assert items[0]["status"] == "active"
        assert server.token_works(user["pat"])
    finally:
        server.put("/v1/policy", server.admin_token, json={"pat_max_lifetime": None})
    items = inventory(server, user=user["email"], kind="pat")["items"]
    assert [i["exceeds_policy"] for i in items] == [False]


def test_unused_for_and_expires_within_and_the_cli(server):
    u = member(server)
    stale = server.create_token(u["email"], name="stale", check=False)
    used = server.create_token(u["email"], name="used", check=False)
    # expires after the 100 days below (an expired one would be purged by retention)
    soon = server.create_token(u["email"], name="soon", expires="120d", check=False)
    server.advance(100 * DAY)
    assert server.token_works(used)

    def used_listed():
        names = {i["name"] for i in inventory(server, user=u["email"], unused_for="90d")["items"]}
        return names == {"stale", "soon"} and names
    assert poll(used_listed), inventory(server, user=u["email"])
    assert inventory(server, user=u["email"], expires_within="7d")["items"] == []
    assert [i["name"] for i in inventory(server, user=u["email"], expires_within="21d")["items"]] \
        == ["soon"]

    p = cli_ok(server.cli("token", "list", "--all", "--user", u["email"], "--unused-for", "90d",
                          "--json"))
    assert {i["name"] for i in json_lines(p.stdout)} == {"stale", "soon"}
    p = cli_ok(server.cli("token", "list", "--all", "--user", u["email"]))
    assert "stale" in p.stdout and "used" in p.stdout

    p = cli_ok(server.cli("token", "revoke", "--user", u["email"], "--unused-for", "90d",
                          "--dry-run"))
    assert p.stdout.strip() == "would revoke 2 tokens"
    assert inventory(server, user=u["email"], status="revoked")["items"] == []
    p = cli_ok(server.cli("token", "revoke", "--user", u["email"], "--unused-for", "90d"))
    assert p.stdout.strip() == "revoked 2 tokens"
    server.refused_after_cache(stale)  # the CLI is another process: the cache's lifetime
    assert me_status(server, soon) == 401
    assert server.token_works(used)


def test_expires_within_lists_tokens_about_to_expire(server):
    u = member(server)
    server.create_token(u["email"], name="week", expires="5d", check=False)
    server.create_token(u["email"], name="month", expires="60d", check=False)
    names = {i["name"] for i in inventory(server, user=u["email"], expires_within="7d")["items"]}
    assert names == {"week"}


def test_console_all_tokens_filters_and_bulk_revokes_after_a_count(server):
    u = member(server)
    a = server.create_token(u["email"], name="console-a", check=False)
    b = admin_browser(server)
    page = b.get("/console/all-tokens", params={"user": u["email"], "kind": "pat"})
    assert page.status_code == 200, describe(page)
    assert "console-a" in page_text(page.text)

    form = find_form(page, "/console/all-tokens/revoke")
    confirm = b.post("/console/all-tokens/revoke", data=dict(form.fields))
    assert confirm.status_code == 200, describe(confirm)
    assert "1 unrevoked token(s) match" in page_text(confirm.text)
    assert server.token_works(a)

    form = find_form(confirm, "/console/all-tokens/revoke")
    assert dict(form.fields)["confirm"] == "1"
    r = b.post("/console/all-tokens/revoke", data=dict(form.fields))
    assert r.status_code == 303, describe(r)
    assert me_status(server, a) == 401
    assert "1 token was revoked" in page_text(b.follow(r).text)


def test_console_bulk_revoke_needs_a_filter_and_the_page_is_for_admins(server):
    b = admin_browser(server)
    page = b.get("/console/all-tokens")
    assert page.status_code == 200
    csrf = b.cookie("jeton_csrf")
    r = b.post("/console/all-tokens/revoke", data={"csrf": csrf})
    assert r.status_code == 400, describe(r)
    plain = add_user(server)
    pb = Browser(server)
    assert pb.login(plain["email"], plain["password"]).status_code == 303
    assert pb.get("/console/all-tokens").status_code == 403


def test_my_tokens_page_shows_which_expire_within_7_days(server):
    u = add_user(server)
    server.create_token(u["email"], name="short-lived", expires="3d", check=False)
    server.create_token(u["email"], name="long-lived", expires="60d", check=False)
    b = Browser(server)
    assert b.login(u["email"], u["password"]).status_code == 303
    text = page_text(b.get("/console/tokens").text)
    assert "1 of your tokens expires within 7 days" in text
    assert text.count("expires within 7 days") == 2  # the notice and one badge


def test_console_all_tokens_finds_a_jwt_by_its_jti(server, user):
    app = code_app(server, token_format="jwt")
    t = tokens(server, app, user)
    ref = inventory(server, jti=jti_of(t["access_token"]))["items"][0]["ref"]
    b = admin_browser(server)
    form = find_form(b.get("/console/all-tokens"), "/console/all-tokens")
    assert "jti" in form.fields, form
    page = b.get("/console/all-tokens", params=dict(form.fields, jti=jti_of(t["access_token"])))
    assert page.status_code == 200, describe(page)
    assert re.findall(r'<td data-label="Token"><code>([^<]*)</code>', page.text) == [ref], \
        describe(page)
    assert f'value="{jti_of(t["access_token"])}"' in page.text     # the filter stays shown
