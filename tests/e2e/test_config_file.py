# SPDX-License-Identifier: MIT
"""The configuration file (--config FILE, or JETON_CONFIG): `key = value` lines setting what
the options and their variables set, an option winning over its variable and the variable over
the file. A file that anyone may write, an unknown key or a malformed line is refused with
FILE:LINE, and no value from the file is ever printed. docs/deploy.md, "Configuration", has one
row per setting."""
import os
import pathlib
import re

import pytest
import requests

from conftest import HTTP_TIMEOUT, Server, cli_ok, poll, run_jeton

REPO = pathlib.Path(__file__).resolve().parents[2]
SECRET = "S3cret-in-the-file"


def write_config(path, text, mode=0o600):
    path.write_text(text)
    path.chmod(mode)
    return path


def serve_options():
    """(option, takes a value) for every option `jeton serve --help` names."""
    out = cli_ok(run_jeton("serve", "--help")).stdout
    opts = out.split("options:\n", 1)[1].split("examples:", 1)[0]
    return [(m.group(1), bool(m.group(2)))
            for m in re.finditer(r"^  (--[a-z0-9-]+)( [A-Z:|.]+)?  ", opts, re.M)]


def issuer_of(server):
    r = requests.get(server.url + "/.well-known/oauth-authorization-server", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()["issuer"]


def serve_issuer(tmp_path, extra_args=(), env=None):
    """Starts a server with the file tmp_path/jeton.conf and returns the issuer it announces."""
    s = Server(tmp_path, extra_args=["--config", tmp_path / "jeton.conf", *extra_args], env=env)
    s.start()
    try:
        return issuer_of(s)
    finally:
        s.finish()


def test_a_setting_from_the_file_applies(tmp_path):
    write_config(tmp_path / "jeton.conf", "# the public URL\nissuer = https://file.example.com\n")
    assert serve_issuer(tmp_path) == "https://file.example.com"


def test_the_environment_beats_the_file(tmp_path):
    write_config(tmp_path / "jeton.conf", "issuer = https://file.example.com\n")
    assert serve_issuer(tmp_path, env={"JETON_ISSUER": "https://env.example.com"}) == \
        "https://env.example.com"


def test_an_option_beats_the_environment(tmp_path):
    write_config(tmp_path / "jeton.conf", "issuer = https://file.example.com\n")
    assert serve_issuer(tmp_path, extra_args=["--issuer", "https://flag.example.com"],
                        env={"JETON_ISSUER": "https://env.example.com"}) == \
        "https://flag.example.com"


def test_threads_come_from_the_file_through_their_variable(tmp_path):
    """--threads had no variable: the file sets JETON_THREADS, as the environment may."""
    write_config(tmp_path / "jeton.conf", "threads = 3\n")
    s = Server(tmp_path, extra_args=["--config", tmp_path / "jeton.conf"])
    s.start()
    try:
        assert ", 3 threads)" in s.stderr_text()
    finally:
        s.finish()


def test_repeated_keys_add_up_and_flags_take_true(tmp_path):
    """Two trusted-proxy lines both count (the client is found past the proxy of each), and
    access-log = true turns the access log on, as --access-log does."""
    write_config(tmp_path / "jeton.conf",
                 "access-log = true\ntrusted-proxy = 10.0.0.0/8\ntrusted-proxy = 127.0.0.1/32\n")
    s = Server(tmp_path, extra_args=["--config", tmp_path / "jeton.conf"], access_log=False)
    s.start()
    try:
        r = requests.get(s.url + "/healthz", timeout=HTTP_TIMEOUT,
                         headers={"X-Forwarded-For": "203.0.113.7, 10.1.2.3"})
        assert r.status_code == 200
        line = poll(lambda: re.search(r'GET "/healthz" 200 \S+ (\S+)', s.stderr_text()))
        assert line and line.group(1) == "203.0.113.7", s.stderr_text()
    finally:
        s.finish()


def test_jeton_config_names_the_file_for_every_command(tmp_path):
    """The store and the key file of the file are those of init and user list too."""
    conf = write_config(tmp_path / "jeton.conf",
                        f"db = {tmp_path / 'state' / 'store.db'}\n"
                        f"key-file = {tmp_path / 'state' / 'store.key'}\n"
                        "admin-email = ops@example.com\n")
    (tmp_path / "state").mkdir()
    env = {"JETON_CONFIG": str(conf)}
    assert "admin: ops@example.com" in cli_ok(run_jeton("init", env=env, cwd=tmp_path)).stdout
    assert (tmp_path / "state" / "store.db").exists() and (tmp_path / "state" / "store.key").exists()
    assert not (tmp_path / "jeton.db").exists()
    assert "ops@example.com" in cli_ok(run_jeton("user", "list", env=env, cwd=tmp_path)).stdout


def test_an_unknown_key_is_refused_with_its_file_and_line(tmp_path):
    conf = write_config(tmp_path / "jeton.conf",
                        "listen = 127.0.0.1:1\n# a comment\n\nlisen = 127.0.0.1:2\n")
    p = run_jeton("serve", "--config", conf, "--db", tmp_path / "x.db", timeout=HTTP_TIMEOUT)
    assert p.returncode == 2
    assert p.stderr == f"jeton: {conf}:4: unknown key lisen\n"
    assert not (tmp_path / "x.db").exists()


def test_a_malformed_line_is_refused_with_its_file_and_line(tmp_path):
    conf = write_config(tmp_path / "jeton.conf", "listen = 127.0.0.1:1\nissuer https://a.example\n")
    p = run_jeton("serve", "--config", conf, "--db", tmp_path / "x.db", timeout=HTTP_TIMEOUT)
    assert p.returncode == 2
    assert p.stderr == f"jeton: {conf}:2: expected key = value\n"
    assert not (tmp_path / "x.db").exists()


def test_a_world_writable_file_is_refused(tmp_path):
    conf = write_config(tmp_path / "jeton.conf", "listen = 127.0.0.1:1\n", mode=0o666)
    p = run_jeton("serve", "--config", conf, "--db", tmp_path / "x.db", timeout=HTTP_TIMEOUT)
    assert p.returncode == 2
    assert "may be written by anyone" in p.stderr and str(conf) in p.stderr
    assert not (tmp_path / "x.db").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="gives the file to another group")
def test_a_file_its_group_may_write_is_refused_unless_the_group_is_roots(tmp_path):
    conf = write_config(tmp_path / "jeton.conf", "listen = 127.0.0.1:1\n", mode=0o660)
    os.chown(conf, -1, 65534)                       # nogroup
    p = run_jeton("user", "list", "--config", conf, "--db", tmp_path / "x.db",
                  timeout=HTTP_TIMEOUT)
    assert p.returncode == 2 and "may be written by its group" in p.stderr, p.stderr
    os.chown(conf, -1, 0)                           # root's group: as trusted as root
    p = run_jeton("user", "list", "--config", conf, "--db", tmp_path / "x.db",
                  timeout=HTTP_TIMEOUT)
    assert p.returncode == 0, p.stderr


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "jeton.conf"
    os.mkfifo(fifo, 0o600)
    p = run_jeton("user", "list", "--config", fifo, "--db", tmp_path / "x.db",
                  timeout=HTTP_TIMEOUT)
    assert p.returncode == 2 and "is not a regular file" in p.stderr, p.stderr


def test_an_overlong_line_is_refused_with_its_file_and_line(tmp_path):
    conf = write_config(tmp_path / "jeton.conf", "listen = 127.0.0.1:1\nissuer = " + "a" * 5000)
    p = run_jeton("serve", "--config", conf, "--db", tmp_path / "x.db", timeout=HTTP_TIMEOUT)
    assert p.returncode == 2
    assert p.stderr == f"jeton: {conf}:2: longer than 4096 bytes\n"


@pytest.mark.parametrize("text", [
    f"db = postgres://jeton:{SECRET}@db.invalid/jeton\nthreads\n",
    f"db = postgres://jeton:{SECRET}@db.invalid/jeton\ndb = postgres://jeton:{SECRET}@b/j\n",
    f"access-log = {SECRET}\n",
    f"issuer = https://a.example/\x01{SECRET}\n",
    f"{SECRET} = 1\n",
    f"db {SECRET}\n",
], ids=["bad-line-after", "twice", "flag", "control", "key", "no-equals"])
def test_no_value_from_the_file_is_printed(tmp_path, text):
    conf = write_config(tmp_path / "jeton.conf", text)
    p = run_jeton("serve", "--config", conf, timeout=HTTP_TIMEOUT, cwd=tmp_path)
    assert p.returncode == 2
    assert f"{conf}:" in p.stderr
    assert "S3cret" not in p.stderr and "S3cret" not in p.stdout


def test_every_option_of_serve_is_a_key_of_the_file(tmp_path):
    """The file's keys cannot drift from serve's options: a file with every one is accepted
    (then --listen, given as an option, is what serve refuses)."""
    lines = [f"{opt[2:]} = {'true' if not takes_value else 'x'}"
             for opt, takes_value in serve_options() if opt != "--config"]
    assert len(lines) >= 16
    conf = write_config(tmp_path / "jeton.conf", "\n".join(lines) + "\n")
    p = run_jeton("serve", "--config", conf, "--listen", "bad", timeout=HTTP_TIMEOUT, cwd=tmp_path)
    assert p.returncode == 2
    assert p.stderr == "jeton: --listen must be HOST:PORT, e.g. 127.0.0.1:8080\n"


def _deploy_rows():
    """The rows of docs/deploy.md's Configuration table: {option: (variable, key)}."""
    text = (REPO / "docs" / "deploy.md").read_text()
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[1].startswith("`--"):
            option = cells[1].strip("`").split()[0]
            rows[option] = (cells[2].strip("`"), cells[3].strip("`"))
    return rows


def test_the_deploy_guide_has_one_row_per_setting():
    """Every option of serve, its variable (as its help names it) and its key; every key of
    the table is one the file accepts."""
    rows = _deploy_rows()
    help_text = cli_ok(run_jeton("serve", "--help")).stdout
    for opt, _ in serve_options():
        if opt == "--config":
            continue
        assert opt in rows, f"{opt} has no row in docs/deploy.md's Configuration table"
        variable, key = rows[opt]
        assert key == opt[2:], (opt, key)
        assert re.search(rf"^  {opt}\b.*\({re.escape(variable)}[;,=) ]", help_text, re.M), \
            (opt, variable)
    assert rows["--db"] == ("JETON_DB", "db")


def test_every_key_of_the_deploy_guide_is_accepted(tmp_path):
    keys = [key for _, key in _deploy_rows().values()]
    conf = write_config(tmp_path / "jeton.conf", "".join(
        f"{k} = {'true' if k in ('access-log', 'allow-user-credentials') else 'x'}\n"
        for k in keys))
    p = run_jeton("serve", "--config", conf, "--listen", "bad", timeout=HTTP_TIMEOUT, cwd=tmp_path)
    assert p.stderr == "jeton: --listen must be HOST:PORT, e.g. 127.0.0.1:8080\n"


def test_config_may_come_before_the_command(tmp_path):
    conf = write_config(tmp_path / "jeton.conf", f"db = {tmp_path / 'first.db'}\n")
    cli_ok(run_jeton("--config", conf, "init", cwd=tmp_path))
    assert (tmp_path / "first.db").exists()
    p = cli_ok(run_jeton(f"--config={conf}", "user", "list", cwd=tmp_path))
    assert "admin@localhost" in p.stdout, p.stdout
