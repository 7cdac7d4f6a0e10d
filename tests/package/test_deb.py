# SPDX-License-Identifier: MIT
"""The Debian package (make deb) on this machine, as an operator uses it: apt installs it, its
unit starts jeton (under systemd when systemd runs; otherwise this test runs the unit's
ExecStart as systemd would: as its User, in its StateDirectory and WorkingDirectory, with its
UMask and environment), which answers /healthz on the port set in /etc/jeton/jeton.conf and has
made its store in the state directory; purging removes it all.

Run by `make package-test` (in make test) as root, with JETON_DEB naming the package. It
installs into the machine itself (CI's fresh Debian 12), so it refuses to run where a jeton
package is installed already. Bounded: every command and wait has a deadline, and the server
it starts is stopped whatever happens."""
import grp
import os
import pathlib
import pwd
import re
import shlex
import signal
import socket
import stat
import subprocess
import tempfile
import time

import pytest
import requests

DEB = os.environ.get("JETON_DEB", "")
CONF = pathlib.Path("/etc/jeton/jeton.conf")
UNIT_DIRS = [pathlib.Path("/lib/systemd/system"), pathlib.Path("/usr/lib/systemd/system")]
STATE = pathlib.Path("/var/lib/jeton")
APT_ENV = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
START_SECONDS = 15
SYSTEMD = pathlib.Path("/run/systemd/system").is_dir()

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="installs a package: run as root (CI is)"),
]


def run(*cmd, timeout=120, check=True):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=APT_ENV)
    if check:
        assert p.returncode == 0, f"{cmd} exited {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p


def installed():
    p = run("dpkg-query", "-W", "-f=${Status}", "jeton", check=False)
    return p.returncode == 0 and "installed" in p.stdout and "not-installed" not in p.stdout


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unit_path():
    for d in UNIT_DIRS:
        if (d / "jeton.service").is_file():
            return d / "jeton.service"
    raise AssertionError("jeton.service is not installed in " + " or ".join(map(str, UNIT_DIRS)))


def unit_service_section(path):
    """The [Service] settings of a unit file: {name: [values, in order]}."""
    settings, section = {}, None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            name, _, value = line.partition("=")
            settings.setdefault(name.strip(), []).append(value.strip())
    return settings


def unit_environment(service, user):
    """The environment systemd gives the unit's process: its own few variables, then
    EnvironmentFile=, then Environment= (which wins)."""
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "LANG": "C.UTF-8", "USER": user.pw_name, "LOGNAME": user.pw_name,
           "HOME": user.pw_dir, "SHELL": user.pw_shell}
    for value in service.get("EnvironmentFile", []):
        optional, path = value.startswith("-"), pathlib.Path(value.lstrip("-"))
        if optional and not path.exists():
            continue
        for line in path.read_text().splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                k, _, v = line.partition("=")
                env[k.strip()] = v.strip().strip('"')
    for value in service.get("Environment", []):
        for item in shlex.split(value):
            k, _, v = item.partition("=")
            env[k] = v
    return env


class Unit:
    """jeton.service started: by systemd, or as systemd would start it."""

    def __init__(self):
        self.proc = None
        self.stdout = ""

    def start(self):
        if SYSTEMD:
            run("systemctl", "restart", "jeton.service", timeout=30)
            return
        service = unit_service_section(unit_path())
        user = pwd.getpwnam(service["User"][-1])
        group = grp.getgrnam(service.get("Group", [user.pw_name])[-1])
        for name in " ".join(service.get("StateDirectory", [])).split():
            d = pathlib.Path("/var/lib") / name
            d.mkdir(parents=True, exist_ok=True)
            os.chown(d, user.pw_uid, group.gr_gid)
            d.chmod(int(service.get("StateDirectoryMode", ["0755"])[-1], 8))
        exec_start = service["ExecStart"][-1].lstrip("-@+!:")
        assert "%" not in exec_start and "$" not in exec_start, exec_start
        self.out = tempfile.TemporaryFile("w+")  # closed in stop()
        self.proc = subprocess.Popen(
            shlex.split(exec_start), user=user.pw_uid, group=group.gr_gid, extra_groups=[],
            umask=int(service.get("UMask", ["0022"])[-1], 8),
            cwd=service.get("WorkingDirectory", ["/"])[-1].lstrip("-"),
            env=unit_environment(service, user), stdin=subprocess.DEVNULL,
            stdout=self.out, stderr=subprocess.STDOUT, start_new_session=True)

    def output(self):
        if SYSTEMD:
            return run("journalctl", "-u", "jeton.service", "--no-pager", "-q").stdout
        self.out.seek(0)
        return self.out.read()

    def main_pid(self):
        if SYSTEMD:
            return int(run("systemctl", "show", "-p", "MainPID", "--value", "jeton.service").stdout)
        return self.proc.pid if self.proc and self.proc.poll() is None else 0

    def stop(self):
        """Stops it (SIGTERM, as the unit's KillSignal); returns the exit status."""
        if SYSTEMD:
            if run("systemctl", "is-active", "--quiet", "jeton.service", check=False).returncode:
                return None
            run("systemctl", "stop", "jeton.service", timeout=30)
            return int(run("systemctl", "show", "-p", "ExecMainStatus", "--value",
                           "jeton.service").stdout)
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
            rc = None
        self.out.close()
        return rc


@pytest.fixture(scope="module")
def package():
    assert DEB and pathlib.Path(DEB).is_file(), f"JETON_DEB={DEB!r}: build it with make deb"
    if installed():
        pytest.fail("a jeton package is installed on this machine already: this test installs "
                    "and purges its own (apt purge jeton first)", pytrace=False)
    run("apt-get", "install", "-y", "-q", "--no-install-recommends", os.path.abspath(DEB),
        timeout=300)
    unit = Unit()
    try:
        yield unit
    finally:
        unit.stop()
        if run("dpkg-query", "-W", "jeton", check=False).returncode == 0:
            run("apt-get", "purge", "-y", "-q", "jeton", timeout=120, check=False)


@pytest.fixture(scope="module")
def running(package):
    port = free_port()
    text = CONF.read_text()
    assert re.search(r"^listen = ", text, re.M), text
    CONF.write_text(re.sub(r"^listen = .*$", f"listen = 127.0.0.1:{port}", text, flags=re.M))
    package.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            if requests.get(url + "/v1/ping", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        assert package.main_pid(), f"jeton exited:\n{package.output()[-3000:]}"
        assert time.monotonic() < deadline, f"no answer in {START_SECONDS} s:\n{package.output()}"
        time.sleep(0.1)
    package.url = url
    return package


def test_the_package_holds_the_binary_the_man_page_the_unit_and_the_settings(package):
    assert os.access("/usr/bin/jeton", os.X_OK)
    assert pathlib.Path("/usr/share/man/man1/jeton.1.gz").is_file()
    service = unit_service_section(unit_path())
    assert service["ExecStart"] == ["/usr/bin/jeton serve --config /etc/jeton/jeton.conf"]
    for hardening in ("NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp",
                      "PrivateDevices", "RestrictAddressFamilies", "SystemCallFilter",
                      "CapabilityBoundingSet"):
        assert hardening in service, hardening
    st = CONF.stat()
    assert (st.st_uid, grp.getgrgid(st.st_gid).gr_name, stat.S_IMODE(st.st_mode)) == \
        (0, "jeton", 0o640)
    assert "/etc/jeton/jeton.conf" in run("dpkg-query", "-W", "-f=${Conffiles}", "jeton").stdout
    depends = run("dpkg-deb", "-f", DEB, "Depends").stdout
    for lib in ("libmicrohttpd12", "libsqlite3-0", "libpq5", "libsodium23", "libcjson1"):
        assert lib in depends, depends
    version = run("dpkg-deb", "-f", DEB, "Version").stdout.strip()
    assert run("/usr/bin/jeton", "version").stdout == f"jeton {version}\n"


def test_the_service_answers_healthz_on_the_port_of_its_settings(running):
    r = requests.get(running.url + "/healthz", timeout=5)
    assert (r.status_code, r.json()) == (200, {"status": "ok"})


def test_the_first_start_made_the_store_and_the_key_in_the_state_directory(running):
    user = pwd.getpwnam("jeton")
    for path, mode in ((STATE, 0o700), (STATE / "jeton.db", 0o600), (STATE / "jeton.key", 0o600)):
        st = path.stat()
        assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (user.pw_uid, mode), path
    assert re.search(r"jeton: admin admin@localhost one-time password: \S+", running.output())


def test_purge_stops_it_and_removes_the_package_its_settings_and_its_state(running):
    assert running.stop() == 0
    run("apt-get", "purge", "-y", "-q", "jeton", timeout=120)
    assert not installed()
    for path in ("/usr/bin/jeton", "/etc/jeton", str(STATE)):
        assert not os.path.exists(path), path
    assert run("pgrep", "-u", "jeton", check=False).returncode == 1, "a jeton process is left"
