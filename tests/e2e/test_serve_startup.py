# SPDX-License-Identifier: MIT
"""jeton serve: init on an empty store, what it prints, where its settings come from."""
import re
import socket
import subprocess

import pytest

from conftest import (ADMIN_EMAIL, JETON_BIN, START_TIMEOUT, Server, clean_env, cli_ok,
                      describe, run_jeton)


def test_first_serve_prints_the_admin_one_time_password(server):
    out = server.stdout_text(1)
    m = re.search(r"jeton: admin (\S+) one-time password: (\S+)", out)
    assert m, f"no one-time password line on stdout:\n{out}"
    assert m.group(1) == ADMIN_EMAIL
    assert len(m.group(2)) >= 12


def test_first_serve_prints_the_console_url(server):
    out = server.stdout_text(1)
    assert f"http://127.0.0.1:{server.port}" in out, out


def test_serve_announces_where_it_listens_on_stderr(server):
    err = server.stderr_text(1)
    assert f"jeton: listening on http://127.0.0.1:{server.port}" in err, err[-2000:]


def test_the_one_time_password_is_not_repeated_in_the_logs(server):
    assert server.admin_password, "no one-time password printed"
    assert server.admin_password not in server.stderr_text()
    assert server.stdout_text().count(server.admin_password) == 1


def test_admin_email_option_names_the_first_admin(tmp_path):
    s = Server(tmp_path, extra_args=["--admin-email", "ops@example.net"])
    s.start()
    try:
        assert re.search(r"jeton: admin ops@example\.net one-time password: \S{12,}",
                         s.stdout_text()), s.stdout_text()
        token = s.create_token("ops@example.net", name="ops")
        me = s.get("/v1/me", token=token).json()
        assert me["user"]["email"] == "ops@example.net" and me["user"]["admin"] is True
        p = s.cli("token", "create", "--user", ADMIN_EMAIL, "--name", "x")
        assert p.returncode == 1, "admin@localhost must not exist when --admin-email is given"
    finally:
        s.finish()


@pytest.mark.sqlite_only
def test_serve_on_an_initialised_store_does_not_init_again(tmp_path):
    p = cli_ok(run_jeton("--db", tmp_path / "jeton.db", "init", cwd=tmp_path))
    password = re.search(r"^password: (\S+)", p.stdout, re.M).group(1)
    s = Server(tmp_path)
    s.start()
    try:
        out = s.stdout_text()
        assert "one-time password" not in out, out
        assert password not in out + s.stderr_text()
        s.create_token(ADMIN_EMAIL, name="works")
    finally:
        s.finish()


def test_serve_takes_listen_address_and_store_from_the_environment(tmp_path):
    s = Server(tmp_path, listen_flag=False, db_flag=False, db_name="env-store.db")
    s.start()
    try:
        assert s.db.exists(), "JETON_DB was not used for the store"
        assert not (tmp_path / "jeton.db").exists()
        assert f"listening on http://127.0.0.1:{s.port}" in s.stderr_text()
        token = s.create_token(ADMIN_EMAIL, name="env")
        assert s.get("/v1/me", token=token).status_code == 200
    finally:
        s.finish()


def test_listen_option_wins_over_the_environment(tmp_path):
    decoy = 1  # a port nobody can bind without privileges
    s = Server(tmp_path, env={"JETON_LISTEN": f"127.0.0.1:{decoy}"})
    s.start()
    try:
        assert s.get("/v1/ping").status_code == 200
    finally:
        s.finish()


def test_serve_on_a_busy_port_exits_1_with_a_message(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        p = subprocess.run([JETON_BIN, "serve", "--listen", f"127.0.0.1:{port}",
                            "--db", str(tmp_path / "jeton.db")], capture_output=True,
                           text=True, timeout=START_TIMEOUT + 5, env=clean_env(),
                           cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert p.returncode == 1, (p.returncode, p.stderr[-2000:])
    assert p.stderr.strip()


@pytest.mark.parametrize("listen", ["nonsense", "127.0.0.1:99999", "999.1.1.1:8080"])
def test_serve_with_a_bad_listen_address_fails(tmp_path, listen):
    p = subprocess.run([JETON_BIN, "serve", "--listen", listen,
                        "--db", str(tmp_path / "jeton.db")], capture_output=True, text=True,
                       timeout=START_TIMEOUT + 5, env=clean_env(), cwd=tmp_path,
                       stdin=subprocess.DEVNULL)
    assert p.returncode in (1, 2), (p.returncode, p.stderr[-2000:])
    assert p.stderr.strip()


def test_healthz_and_ping_answer_right_after_start(server):
    assert server.get("/healthz").status_code == 200
    r = server.get("/v1/ping")
    assert r.status_code == 200, describe(r)
