# SPDX-License-Identifier: MIT
"""The jeton CLI: init, user, space, token, migrate, version; exit status 0 / 1 / 2."""
import datetime as dt
import json
import re

import pytest

from conftest import (ADMIN_EMAIL, TOKEN_RE, assert_401, checksum_ok, cli_ok, json_lines,
                      parse_time, rfc3339, run_jeton, unique, unique_email, utcnow)

# The CLI's own tests use SQLite files; the PostgreSQL run covers it through the servers.
pytestmark = pytest.mark.sqlite_only


@pytest.fixture()
def store(tmp_path):
    """An initialised store with no server."""
    db = tmp_path / "cli.db"
    cli_ok(run_jeton("--db", db, "init", cwd=tmp_path))
    return db


def j(db, *args, input=None):
    return run_jeton("--db", db, *args, input=input, cwd=db.parent)


def _users(db):
    return {u["email"]: u for u in json_lines(cli_ok(j(db, "user", "list", "--json")).stdout)}


def _tokens(db, email):
    p = cli_ok(j(db, "token", "list", "--user", email, "--json"))
    return json_lines(p.stdout)


def _fails(p, codes=(1,)):
    assert p.returncode in codes, (f"jeton {p.args[1:]} exited {p.returncode}, expected "
                                   f"{codes}\nstdout: {p.stdout}\nstderr: {p.stderr}")
    assert p.stderr.strip(), "an error must be explained on stderr"
    return p


# ---------------------------------------------------------------- init, version, migrate

def test_version_prints_a_version(tmp_path):
    p = cli_ok(run_jeton("version", cwd=tmp_path))
    assert p.stdout.strip()


def test_version_matches_what_ping_reports(server):
    version = server.get("/v1/ping").json()["version"]
    p = cli_ok(run_jeton("version"))
    assert version in p.stdout


def test_init_creates_the_store_and_prints_admin_and_password(tmp_path):
    db = tmp_path / "new.db"
    p = cli_ok(run_jeton("--db", db, "init", "--admin-email", "ops@example.org", cwd=tmp_path))
    assert db.exists()
    assert re.search(r"^admin: ops@example\.org\s*$", p.stdout, re.M), p.stdout
    m = re.search(r"^password: (\S+)\s*$", p.stdout, re.M)
    assert m and len(m.group(1)) >= 12, p.stdout
    users = _users(db)
    assert set(users) == {"ops@example.org"} and users["ops@example.org"]["admin"] is True


def test_init_defaults_to_admin_at_localhost(tmp_path):
    p = cli_ok(run_jeton("--db", tmp_path / "d.db", "init", cwd=tmp_path))
    assert re.search(rf"^admin: {re.escape(ADMIN_EMAIL)}\s*$", p.stdout, re.M), p.stdout


def test_default_store_is_jeton_db_in_the_current_directory(tmp_path):
    cli_ok(run_jeton("init", cwd=tmp_path))
    assert (tmp_path / "jeton.db").exists()
    assert ADMIN_EMAIL in _users(tmp_path / "jeton.db")


def test_store_path_comes_from_JETON_DB(tmp_path):
    db = tmp_path / "from-env.db"
    cli_ok(run_jeton("init", env={"JETON_DB": str(db)}, cwd=tmp_path))
    assert db.exists() and not (tmp_path / "jeton.db").exists()
    p = cli_ok(run_jeton("user", "list", "--json", env={"JETON_DB": str(db)}, cwd=tmp_path))
    assert ADMIN_EMAIL in {u["email"] for u in json_lines(p.stdout)}


def test_db_option_may_come_after_the_command(tmp_path):
    db = tmp_path / "after.db"
    cli_ok(run_jeton("init", "--db", db, cwd=tmp_path))
    assert db.exists()
    p = cli_ok(run_jeton("user", "list", "--json", "--db", db, cwd=tmp_path))
    assert ADMIN_EMAIL in {u["email"] for u in json_lines(p.stdout)}


def test_migrate_on_a_current_store_succeeds_and_keeps_data(store):
    email = unique_email()
    cli_ok(j(store, "user", "add", email))
    cli_ok(j(store, "migrate"))
    cli_ok(j(store, "migrate"))
    assert email in _users(store)


# ---------------------------------------------------------------- users

def test_user_add_prints_the_id_then_a_generated_password(store):
    email = unique_email()
    p = cli_ok(j(store, "user", "add", email, "--name", "Ada Lovelace"))
    lines = p.stdout.splitlines()
    assert re.fullmatch(r"\d+", lines[0].strip()), p.stdout
    m = re.fullmatch(r"password: (\S+)", lines[1].strip())
    assert m and len(m.group(1)) >= 12, p.stdout
    user = _users(store)[email]
    assert user["id"] == int(lines[0])
    assert user["friendly_name"] == "Ada Lovelace"
    assert user["admin"] is False and user["disabled"] is False
    assert "password" not in user and m.group(1) not in json.dumps(_users(store))


def test_user_add_with_password_stdin_prints_no_password(store):
    p = cli_ok(j(store, "user", "add", unique_email(), "--password-stdin",
                 input="a-long-enough-password\n"))
    assert re.fullmatch(r"\d+", p.stdout.splitlines()[0].strip()), p.stdout
    assert "password" not in p.stdout
    assert "a-long-enough-password" not in p.stdout + p.stderr


def test_user_add_admin_makes_an_instance_admin(store):
    email = unique_email()
    cli_ok(j(store, "user", "add", email, "--admin"))
    assert _users(store)[email]["admin"] is True


def test_user_add_with_a_taken_email_fails(store):
    email = unique_email()
    cli_ok(j(store, "user", "add", email))
    _fails(j(store, "user", "add", email))
    _fails(j(store, "user", "add", email.upper()))


def test_user_add_with_a_too_short_password_fails(store):
    email = unique_email()
    _fails(j(store, "user", "add", email, "--password-stdin", input="short\n"))
    assert email not in _users(store)


def test_user_disable_and_enable_show_in_the_list(store):
    email = unique_email()
    cli_ok(j(store, "user", "add", email))
    cli_ok(j(store, "user", "disable", email))
    assert _users(store)[email]["disabled"] is True
    cli_ok(j(store, "user", "enable", email))
    assert _users(store)[email]["disabled"] is False


def test_user_commands_on_an_unknown_email_fail(store):
    _fails(j(store, "user", "disable", "nobody@example.com"))
    _fails(j(store, "user", "enable", "nobody@example.com"))
    _fails(j(store, "token", "create", "--user", "nobody@example.com", "--name", "x"))
    _fails(j(store, "token", "list", "--user", "nobody@example.com"))


def test_user_list_without_json_mentions_every_user(store):
    email = unique_email()
    cli_ok(j(store, "user", "add", email))
    p = cli_ok(j(store, "user", "list"))
    assert email in p.stdout and ADMIN_EMAIL in p.stdout


def test_user_list_never_shows_password_hashes(store):
    cli_ok(j(store, "user", "add", unique_email(), "--password-stdin",
             input="another-long-password\n"))
    for args in (["user", "list"], ["user", "list", "--json"]):
        out = cli_ok(j(store, *args)).stdout
        assert "argon2" not in out and "$" not in out, out


# ---------------------------------------------------------------- spaces

def test_space_add_prints_the_id_alone(store):
    name = unique("Demo")
    p = cli_ok(j(store, "space", "add", name))
    assert re.fullmatch(r"\d+\n?", p.stdout), p.stdout
    spaces = json_lines(cli_ok(j(store, "space", "list", "--json")).stdout)
    assert {"id": int(p.stdout), "name": name} in [{"id": s["id"], "name": s["name"]}
                                                   for s in spaces]
    assert name in cli_ok(j(store, "space", "list")).stdout


def test_space_add_with_a_taken_name_fails(store):
    name = unique("dup")
    cli_ok(j(store, "space", "add", name))
    _fails(j(store, "space", "add", name))


def test_space_grant_by_name_or_id_lets_the_user_hold_the_roles_scopes(store):
    email = unique_email()
    cli_ok(j(store, "user", "add", email))
    name = unique("S")
    sid = cli_ok(j(store, "space", "add", name)).stdout.strip()
    # not a member yet: read_content is not the user's to give
    _fails(j(store, "token", "create", "--user", email, "--name", "t",
             "--scopes", "read_content"))
    cli_ok(j(store, "space", "grant", name, email, "viewer"))
    cli_ok(j(store, "token", "create", "--user", email, "--name", "t",
             "--scopes", "read_content"))
    _fails(j(store, "token", "create", "--user", email, "--name", "t",
             "--scopes", "write_content"))
    cli_ok(j(store, "space", "grant", sid, email, "editor"))
    cli_ok(j(store, "token", "create", "--user", email, "--name", "t",
             "--scopes", "read_content write_content"))
    cli_ok(j(store, "space", "revoke", sid, email))
    _fails(j(store, "token", "create", "--user", email, "--name", "t",
             "--scopes", "read_content"))


def test_space_grant_with_an_unknown_role_space_or_user_fails(store):
    email = unique_email()
    cli_ok(j(store, "user", "add", email))
    name = unique("S")
    cli_ok(j(store, "space", "add", name))
    _fails(j(store, "space", "grant", name, email, "owner"), codes=(1, 2))
    _fails(j(store, "space", "grant", "no-such-space", email, "viewer"))
    _fails(j(store, "space", "grant", name, "nobody@example.com", "viewer"))


# ---------------------------------------------------------------- tokens

def test_token_create_prints_the_token_alone(store):
    p = cli_ok(j(store, "token", "create", "--user", ADMIN_EMAIL, "--name", "ci"))
    assert p.stdout.endswith("\n") and len(p.stdout.splitlines()) == 1, repr(p.stdout)
    token = p.stdout.strip()
    assert TOKEN_RE.match(token) and checksum_ok(token), token


def test_token_create_with_scopes(store):
    token = cli_ok(j(store, "token", "create", "--user", ADMIN_EMAIL, "--name", "scoped",
                     "--scopes", "manage_tokens manage_users")).stdout.strip()
    mine = [t for t in _tokens(store, ADMIN_EMAIL) if t["display_prefix"] == token[:8]]
    assert len(mine) == 1 and set(mine[0]["scopes"]) == {"manage_tokens", "manage_users"}


def test_token_create_with_an_unknown_scope_fails(store):
    p = _fails(j(store, "token", "create", "--user", ADMIN_EMAIL, "--name", "x",
                 "--scopes", "fly_rockets"), codes=(1, 2))
    assert p.stdout.strip() == ""


def _expiry_of(store, expires):
    name = unique("exp")
    token = cli_ok(j(store, "token", "create", "--user", ADMIN_EMAIL, "--name", name,
                     "--expires", expires)).stdout.strip()
    assert TOKEN_RE.match(token)
    [t] = [t for t in _tokens(store, ADMIN_EMAIL) if t["name"] == name]
    return t["expires_at"]


def test_token_expires_never(store):
    assert _expiry_of(store, "never") is None


def test_token_expires_on_a_date_at_midnight_utc(store):
    day = (utcnow() + dt.timedelta(days=10)).date()
    assert _expiry_of(store, day.isoformat()) == f"{day.isoformat()}T00:00:00Z"


def test_token_expires_in_n_days(store):
    got = parse_time(_expiry_of(store, "30d"))
    want = utcnow() + dt.timedelta(days=30)
    assert abs(got - want) < dt.timedelta(minutes=2), (got, want)


def test_token_expires_at_an_rfc3339_time(store):
    when = "2097-05-06T07:08:09Z"
    assert _expiry_of(store, when) == when
    assert _expiry_of(store, "2097-05-06T09:08:09+02:00") == when


@pytest.mark.parametrize("expires", ["2000-01-01", "2000-01-01T00:00:00Z", "TODAY",
                                     "PAST_MINUTE", "0d", "soon", "2099-02-30", "-3d"])
def test_token_expiry_in_the_past_or_garbage_fails(store, expires):
    if expires == "TODAY":
        expires = utcnow().date().isoformat()       # 00:00 UTC today has passed
    if expires == "PAST_MINUTE":
        expires = rfc3339(utcnow() - dt.timedelta(minutes=1))
    before = len(_tokens(store, ADMIN_EMAIL))
    p = _fails(j(store, "token", "create", "--user", ADMIN_EMAIL, "--name", "x",
                 "--expires", expires), codes=(1, 2))
    assert p.stdout.strip() == "", "no token may be printed when create fails"
    assert len(_tokens(store, ADMIN_EMAIL)) == before


def test_json_lists_print_one_compact_object_a_line(store):
    """--json is for scripts: jq and line readers stream a list, one object a line."""
    cli_ok(j(store, "token", "create", "--user", ADMIN_EMAIL, "--name", "line-1"))
    cli_ok(j(store, "token", "create", "--user", ADMIN_EMAIL, "--name", "line-2"))
    out = cli_ok(j(store, "token", "list", "--user", ADMIN_EMAIL, "--json")).stdout
    lines = out.splitlines()
    assert len(lines) == 2, out
    assert [json.loads(line)["name"] for line in lines] == ["line-2", "line-1"]
    assert "\t" not in out and ": " not in out and ", " not in out


def test_json_of_one_object_is_one_compact_line(store):
    out = cli_ok(j(store, "policy", "show", "--json")).stdout
    assert out.count("\n") == 1 and "\t" not in out
    assert isinstance(json.loads(out), dict)


def test_token_list_json_shows_token_objects_without_the_secret(store):
    token = cli_ok(j(store, "token", "create", "--user", ADMIN_EMAIL, "--name", "listed",
                     "--scopes", "manage_tokens")).stdout.strip()
    p = cli_ok(j(store, "token", "list", "--user", ADMIN_EMAIL, "--json"))
    assert token not in p.stdout and token[8:] not in p.stdout
    items = json_lines(p.stdout)
    [t] = [t for t in items if t["name"] == "listed"]
    assert {"id", "name", "display_prefix", "scopes", "created_at", "expires_at",
            "last_used_at", "last_used_ip", "revoked_at", "status"} <= set(t)
    assert "token" not in t
    assert t["display_prefix"] == token[:8] and t["status"] == "active"
    assert t["scopes"] == ["manage_tokens"] and t["expires_at"] is None
    parse_time(t["created_at"])
    p = cli_ok(j(store, "token", "list", "--user", ADMIN_EMAIL))
    assert "listed" in p.stdout and token[8:] not in p.stdout


def test_token_revoke_and_rotate_in_the_store(store):
    cli_ok(j(store, "token", "create", "--user", ADMIN_EMAIL, "--name", "r1"))
    [t] = [t for t in _tokens(store, ADMIN_EMAIL) if t["name"] == "r1"]
    cli_ok(j(store, "token", "revoke", t["id"]))
    [t] = [x for x in _tokens(store, ADMIN_EMAIL) if x["id"] == t["id"]]
    assert t["status"] == "revoked" and t["revoked_at"]
    _fails(j(store, "token", "rotate", t["id"]))

    old = cli_ok(j(store, "token", "create", "--user", ADMIN_EMAIL, "--name", "r2",
                   "--expires", "2096-01-01")).stdout.strip()
    [t] = [t for t in _tokens(store, ADMIN_EMAIL) if t["name"] == "r2"]
    p = cli_ok(j(store, "token", "rotate", t["id"]))
    new = p.stdout.strip()
    assert len(p.stdout.splitlines()) == 1 and TOKEN_RE.match(new) and new != old
    r2 = {x["id"]: x for x in _tokens(store, ADMIN_EMAIL) if x["name"] == "r2"}
    assert len(r2) == 2 and r2[t["id"]]["status"] == "revoked"
    [fresh] = [x for x in r2.values() if x["id"] != t["id"]]
    assert fresh["display_prefix"] == new[:8] and fresh["status"] == "active"
    assert fresh["expires_at"] == "2096-01-01T00:00:00Z"


def test_token_revoke_or_rotate_of_an_unknown_id_fails(store):
    _fails(j(store, "token", "revoke", "987654"))
    _fails(j(store, "token", "rotate", "987654"))


@pytest.mark.parametrize("args", [
    [],
    ["frobnicate"],
    ["user"],
    ["user", "add"],
    ["user", "frob"],
    ["token", "create", "--name", "x"],            # no --user
    ["token", "create", "--user", ADMIN_EMAIL],    # no --name
    ["token", "create", "--user", ADMIN_EMAIL, "--name"],
    ["token", "list"],
    ["space", "grant", "only-one-arg"],
    ["user", "list", "--no-such-option"],
], ids=lambda a: "_".join(a) or "no_args")
def test_usage_errors_exit_2(store, args):
    _fails(j(store, *args), codes=(2,))


# ---------------------------------------------------------------- CLI against a running server

def test_cli_revoke_reaches_the_running_server(server):
    name = unique("cli-revoke")
    token = server.create_token(ADMIN_EMAIL, name=name)
    [t] = [t for t in json_lines(cli_ok(server.cli("token", "list", "--user", ADMIN_EMAIL,
                                                   "--json")).stdout) if t["name"] == name]
    cli_ok(server.cli("token", "revoke", t["id"]))
    assert_401(server.refused_after_cache(token))


def test_cli_rotate_reaches_the_running_server(server):
    name = unique("cli-rotate")
    old = server.create_token(ADMIN_EMAIL, name=name)
    [t] = [t for t in json_lines(cli_ok(server.cli("token", "list", "--user", ADMIN_EMAIL,
                                                   "--json")).stdout) if t["name"] == name]
    new = cli_ok(server.cli("token", "rotate", t["id"])).stdout.strip()
    assert TOKEN_RE.match(new) and checksum_ok(new)
    server.assert_token_works(new)
    assert_401(server.refused_after_cache(old))
    me = server.get("/v1/me", token=new).json()
    assert me["token"]["name"] == name


def test_cli_token_list_sees_tokens_made_over_the_api(server, admin_token):
    pat = server.create_pat(admin_token, name=unique("api-made"), scopes=["manage_tokens"])
    items = json_lines(cli_ok(server.cli("token", "list", "--user", ADMIN_EMAIL,
                                         "--json")).stdout)
    [t] = [t for t in items if t["id"] == pat["id"]]
    assert t["name"] == pat["name"] and t["display_prefix"] == pat["display_prefix"]


def test_cli_grant_reaches_the_running_server(server, admin_token):
    user = server.new_user()
    space = server.new_space()
    token = server.create_token(user["email"], scopes=["manage_tokens"])

    def members():
        r = server.get(f"/v1/spaces/{space['id']}", admin_token)
        return {m["email"]: m["role"] for m in r.json()["members"]}

    def my_spaces():
        return {s["id"]: s["role"] for s in server.get("/v1/me", token=token).json()["spaces"]}

    cli_ok(server.cli("space", "grant", space["name"], user["email"], "editor"))
    assert members() == {user["email"]: "editor"}
    server.after_cache()
    assert my_spaces() == {space["id"]: "editor"}
    cli_ok(server.cli("space", "revoke", str(space["id"]), user["email"]))
    assert members() == {}
    server.after_cache()
    assert my_spaces() == {}
    assert server.get("/v1/me", token=token).status_code == 200
