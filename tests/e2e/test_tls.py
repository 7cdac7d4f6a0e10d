# SPDX-License-Identifier: MIT
"""jeton serve --tls-cert/--tls-key: HTTPS without a proxy (issue 17, part 2).

A throw-away CA and server certificates are made with the openssl command line; real
clients (curl, requests, http.client, openssl s_client) trust that CA and speak to the
server. The certificate and key are read again on SIGHUP: new handshakes take the new
pair, connections made before keep working, and a pair that cannot be used leaves the
one in use."""
import http.client
import os
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest
import requests

from conftest import HTTP_TIMEOUT, Server, describe, poll, run_jeton
from oauth_helpers import Browser

OPENSSL_TIMEOUT = 20
REFUSAL_TIMEOUT = 30        # a serve that refuses its settings exits within this
HEAD_DEADLINE = 10.0        # LIMIT_HEAD_SECONDS: a connection's first request head, handshake in


def openssl(*args, cwd):
    p = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True,
                       timeout=OPENSSL_TIMEOUT)
    assert p.returncode == 0, f"openssl {args}: {p.stderr}"
    return p


class Pki:
    """A CA of its own and server certificates it signs, in a directory."""

    def __init__(self, path):
        self.dir = path
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ca = self.dir / "ca.pem"
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                "-subj", "/CN=jeton throw-away test CA", cwd=self.dir)
        (self.dir / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")

    def issue(self, name, key_type=("ec", "-pkeyopt", "ec_paramgen_curve:P-256")):
        """A certificate for 127.0.0.1 with CN name and a random serial: (cert, key, serial)."""
        serial = random.getrandbits(63) | 1
        openssl("req", "-newkey", *key_type, "-nodes", "-keyout", f"{name}.key",
                "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=self.dir)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-set_serial", str(serial), "-days", "1", "-extfile", "san.ext",
                "-out", f"{name}.pem", cwd=self.dir)
        return self.dir / f"{name}.pem", self.dir / f"{name}.key", serial


def install(cert, key, dest_cert, dest_key):
    """Puts a pair in place as a renewal would: each file replaced whole, key first."""
    for src, dest in ((key, dest_key), (cert, dest_cert)):
        tmp = dest.with_name(dest.name + ".new")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)


def tls_server(workdir, pki, name):
    """A server (not started) on its own copy of a fresh pair (CN name); returns it, the
    paths it reads and the pair's serial."""
    cert, key, serial = pki.issue(name)
    live_cert, live_key = workdir / "live.pem", workdir / "live.key"
    workdir.mkdir(parents=True, exist_ok=True)
    install(cert, key, live_cert, live_key)
    s = Server(workdir, extra_args=["--tls-cert", live_cert, "--tls-key", live_key],
               tls_ca=pki.ca)
    return s, live_cert, live_key, serial


def context(pki, **versions):
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    for attr, v in versions.items():
        setattr(ctx, attr, v)
    return ctx


def connect(port, ctx):
    """A keep-alive HTTPS connection, handshake done."""
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=HTTP_TIMEOUT)
    c.connect()
    return c


def fetch(conn, path="/healthz", headers=None):
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    return r.status, r.read()


def peer_cn_serial(conn):
    cert = conn.sock.getpeercert()
    cn = dict(x[0] for x in cert["subject"])["commonName"]
    return cn, int(cert["serialNumber"], 16)


def reloads(server, word):
    """How many SIGHUP reload lines with word ('reloaded', 'not reloaded') the log has."""
    return len(re.findall(rf"SIGHUP: TLS certificate {word}\b", server.stderr_text()))


def sighup_and_wait(server, word):
    before = reloads(server, word)
    server.proc.send_signal(signal.SIGHUP)
    assert poll(lambda: reloads(server, word) > before, timeout=5.0), \
        f"no '{word}' line after SIGHUP:\n{server.stderr_text()[-2000:]}"


def s_client(port, pki, *args):
    """openssl s_client with these protocol/cipher options; its CompletedProcess."""
    return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
                           "-CAfile", str(pki.ca), "-verify_return_error", *args],
                          input="", capture_output=True, text=True, timeout=OPENSSL_TIMEOUT)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls(tmp_path_factory, pki):
    s, _, _, _ = tls_server(tmp_path_factory.mktemp("jeton-tls"), pki, "jeton-tls-one")
    s.start()
    yield s
    s.finish()


# ---------------------------------------------------------------- real clients

def test_curl_with_the_ca_gets_healthz_over_https(tls, pki):
    p = subprocess.run(["curl", "-sS", "--cacert", str(pki.ca), "-o", "/dev/null",
                        "-w", "%{http_code} %{http_version} %{scheme}",
                        f"https://127.0.0.1:{tls.port}/healthz"],
                       capture_output=True, text=True, timeout=HTTP_TIMEOUT)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "200 1.1 HTTPS"


def test_requests_with_the_ca_verifies_a_pat_on_v1_me(tls):
    r = requests.get(tls.url + "/v1/me", headers={"Authorization": f"Bearer {tls.admin_token}"},
                     verify=tls.tls_ca, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, describe(r)
    assert r.json()["user"]["email"] == "admin@localhost"


def test_requests_without_the_ca_refuses_the_certificate(tls):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls.url + "/healthz", timeout=HTTP_TIMEOUT)


def test_one_connection_carries_several_requests(tls, pki):
    c = connect(tls.port, context(pki))
    try:
        sock = c.sock
        for _ in range(5):
            status, body = fetch(c, "/v1/me", {"Authorization": f"Bearer {tls.admin_token}"})
            assert status == 200, body
        assert c.sock is sock, "the connection was not kept alive"
    finally:
        c.close()


def test_the_protocol_under_tls_is_http_1_1(tls, pki):
    ctx = context(pki)
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection(("127.0.0.1", tls.port), timeout=HTTP_TIMEOUT) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as t:
            assert t.selected_alpn_protocol() == "http/1.1"
            t.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            assert t.recv(64).startswith(b"HTTP/1.1 200")


def test_a_modern_client_gets_tls_1_3(tls, pki):
    c = connect(tls.port, context(pki))
    try:
        assert c.sock.version() == "TLSv1.3"
    finally:
        c.close()


def test_a_tls_1_2_client_gets_an_aead_cipher_with_forward_secrecy(tls, pki):
    c = connect(tls.port, context(pki, maximum_version=ssl.TLSVersion.TLSv1_2))
    try:
        name, version, _ = c.sock.cipher()
        assert version == "TLSv1.2"
        assert name.startswith("ECDHE-") and ("GCM" in name or "CHACHA20" in name), name
    finally:
        c.close()


# ---------------------------------------------------------------- what is refused

def test_tls_1_1_is_refused(tls, pki):
    p = s_client(tls.port, pki, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0")
    out = p.stdout + p.stderr
    assert "no protocols available" not in out, "this openssl cannot offer TLS 1.1:\n" + out
    assert p.returncode != 0 and "Cipher is (NONE)" in out, out


def test_tls_1_0_is_refused(tls, pki):
    p = s_client(tls.port, pki, "-tls1", "-cipher", "DEFAULT:@SECLEVEL=0")
    out = p.stdout + p.stderr
    assert "no protocols available" not in out, "this openssl cannot offer TLS 1.0:\n" + out
    assert p.returncode != 0 and "Cipher is (NONE)" in out, out


def test_a_client_offering_only_cbc_ciphers_is_refused(tls, pki):
    p = s_client(tls.port, pki, "-tls1_2", "-cipher",
                 "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:"
                 "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA")
    out = p.stdout + p.stderr
    assert p.returncode != 0 and "Cipher is (NONE)" in out, out


def test_the_same_s_client_with_tls_1_2_and_gcm_is_served(tls, pki):
    """The refusals above are the server's policy: the same client and options otherwise
    succeed."""
    p = s_client(tls.port, pki, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert re.search(r"Cipher is ECDHE-ECDSA-AES128-GCM-SHA256", out), out


def test_plain_http_to_the_tls_port_gets_no_http_answer(tls):
    with socket.create_connection(("127.0.0.1", tls.port), timeout=HTTP_TIMEOUT) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        try:
            data = s.recv(4096)
        except ConnectionResetError:
            data = b""
    assert not data.startswith(b"HTTP/"), data
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://127.0.0.1:{tls.port}/healthz", timeout=HTTP_TIMEOUT)


@pytest.mark.long
def test_a_stalled_handshake_is_closed_by_the_head_deadline(tls):
    """A client that connects and never finishes its handshake holds no slot longer than a
    request head may take (10 s, LIMIT_HEAD_SECONDS): waits that real deadline."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", tls.port), timeout=HTTP_TIMEOUT) as s:
        s.sendall(b"\x16\x03\x01")       # the start of a ClientHello's record, then nothing
        s.settimeout(HEAD_DEADLINE + 3)
        try:
            closed = s.recv(1) == b""
        except socket.timeout:
            closed = False
        except OSError:
            closed = True
    after = time.monotonic() - start
    assert closed, f"a stalled handshake was still open after {after:.1f} s"
    assert HEAD_DEADLINE - 0.5 <= after <= HEAD_DEADLINE + 2, after


# ---------------------------------------------------------------- https issuer

def test_the_default_issuer_is_https(tls):
    r = tls.get("/.well-known/oauth-authorization-server")
    assert r.status_code == 200, describe(r)
    assert r.json()["issuer"] == f"https://127.0.0.1:{tls.port}"


def test_console_cookies_are_secure(tls):
    page = tls.get("/login")
    csrf = page.raw.headers.getlist("Set-Cookie")
    assert [c for c in csrf if c.startswith("jeton_csrf=")], csrf
    assert all("; Secure" in c for c in csrf), csrf

    b = Browser(tls, requests.Session())
    b.s.verify = tls.tls_ca
    b.s.trust_env = False       # else REQUESTS_CA_BUNDLE would take the place of verify
    r = b.login("admin@localhost", tls.admin_password)
    assert r.status_code == 303, describe(r)
    session = [c for c in r.raw.headers.getlist("Set-Cookie") if c.startswith("jeton_session=")]
    assert session and "; Secure" in session[0], r.raw.headers.getlist("Set-Cookie")


# ---------------------------------------------------------------- settings

def test_the_environment_turns_tls_on(tmp_path, pki):
    cert, key, _ = pki.issue("jeton-tls-env")
    s = Server(tmp_path, env={"JETON_TLS_CERT": str(cert), "JETON_TLS_KEY": str(key)},
               tls_ca=pki.ca)
    s.start()
    try:
        c = connect(s.port, context(pki))
        try:
            assert peer_cn_serial(c)[0] == "jeton-tls-env"
            assert fetch(c)[0] == 200
        finally:
            c.close()
    finally:
        s.finish()


@pytest.mark.parametrize("given", ["--tls-cert", "--tls-key", "JETON_TLS_CERT"])
def test_one_of_the_pair_alone_is_a_usage_error(tmp_path, pki, given):
    cert, key, _ = pki.issue("jeton-tls-half")
    path = cert if "CERT" in given.upper() else key
    args, env = ["serve", "--db", tmp_path / "j.db", "--listen", "127.0.0.1:1"], {}
    if given.startswith("--"):
        args += [given, path]
    else:
        env[given] = str(path)
    p = run_jeton(*args, env=env, cwd=tmp_path, timeout=REFUSAL_TIMEOUT)
    assert p.returncode == 2, p.stderr
    assert "--tls-cert FILE and --tls-key FILE" in p.stderr, p.stderr
    assert not (tmp_path / "j.db").exists(), "the store was created before the refusal"



def refused(tmp_path, cert, key):
    p = run_jeton("serve", "--db", tmp_path / "j.db", "--listen", "127.0.0.1:1",
                  "--tls-cert", cert, "--tls-key", key, cwd=tmp_path, timeout=REFUSAL_TIMEOUT)
    assert p.returncode == 1, f"exit {p.returncode}: {p.stderr}"
    assert not (tmp_path / "j.db").exists(), "the store was created before the refusal"
    return p.stderr


def key_body(key):
    """The base64 lines of a PEM key: none of them may ever be printed."""
    return [line for line in key.read_text().splitlines() if line and "-----" not in line]


def test_a_missing_certificate_file_is_refused_by_name(tmp_path, pki):
    _, key, _ = pki.issue("jeton-tls-missing")
    err = refused(tmp_path, tmp_path / "nowhere.pem", key)
    assert f"{tmp_path / 'nowhere.pem'}: cannot open it" in err, err


def test_an_unreadable_key_file_is_refused_by_name(tmp_path, pki):
    cert, _, _ = pki.issue("jeton-tls-dir")
    err = refused(tmp_path, cert, tmp_path)     # a directory: not a file to read
    assert f"{tmp_path}: not a regular file" in err, err


def test_a_key_given_as_the_certificate_is_refused_without_printing_it(tmp_path, pki):
    cert, key, _ = pki.issue("jeton-tls-swapped")
    err = refused(tmp_path, key, cert)
    assert f"{key}: no PEM certificate could be read" in err, err
    assert not any(line in err for line in key_body(key)), "key material printed"


def test_a_key_of_another_certificate_is_refused(tmp_path, pki):
    cert, _, _ = pki.issue("jeton-tls-mine")
    _, other_key, _ = pki.issue("jeton-tls-other")
    err = refused(tmp_path, cert, other_key)
    assert f"{other_key}: this key does not belong to the first certificate of {cert}" in err, err
    assert not any(line in err for line in key_body(other_key)), "key material printed"


def test_an_encrypted_key_is_refused_by_name(tmp_path, pki):
    cert, key, _ = pki.issue("jeton-tls-locked")
    locked = tmp_path / "locked.key"
    openssl("pkey", "-in", str(key), "-aes256", "-passout", "pass:secret-pass",
            "-out", str(locked), cwd=tmp_path)
    err = refused(tmp_path, cert, locked)
    assert f"{locked}: not an unencrypted PEM private key" in err, err


def test_an_rsa_certificate_is_served_too(tmp_path, pki):
    cert, key, _ = pki.issue("jeton-tls-rsa", key_type=("rsa:2048",))
    s = Server(tmp_path, extra_args=["--tls-cert", cert, "--tls-key", key], tls_ca=pki.ca)
    s.start()
    try:
        c = connect(s.port, context(pki, maximum_version=ssl.TLSVersion.TLSv1_2))
        try:
            assert peer_cn_serial(c)[0] == "jeton-tls-rsa"
            assert c.sock.cipher()[0].startswith("ECDHE-RSA-")
            assert fetch(c)[0] == 200
        finally:
            c.close()
    finally:
        s.finish()


# ---------------------------------------------------------------- reload on SIGHUP

def test_sighup_serves_the_new_certificate_and_keeps_open_connections(tmp_path, pki):
    s, live_cert, live_key, first_serial = tls_server(tmp_path / "srv", pki, "jeton-tls-first")
    s.start()
    try:
        ctx = context(pki)
        before = connect(s.port, ctx)
        assert fetch(before)[0] == 200
        assert peer_cn_serial(before) == ("jeton-tls-first", first_serial)

        cert, key, serial = pki.issue("jeton-tls-second")
        install(cert, key, live_cert, live_key)
        sighup_and_wait(s, "reloaded")

        after = connect(s.port, ctx)
        try:
            assert peer_cn_serial(after) == ("jeton-tls-second", serial)
            assert fetch(after)[0] == 200
        finally:
            after.close()
        # the connection made before the reload is still served, on its own handshake
        for _ in range(3):
            assert fetch(before, "/v1/me", {"Authorization": f"Bearer {s.admin_token}"})[0] == 200
        assert peer_cn_serial(before) == ("jeton-tls-first", first_serial)
        before.close()
        assert s.proc.poll() is None
    finally:
        s.finish()


def test_a_broken_file_on_reload_keeps_the_certificate_in_use(tmp_path, pki):
    s, live_cert, live_key, serial = tls_server(tmp_path / "srv", pki, "jeton-tls-kept")
    s.start()
    try:
        live_cert.write_text("-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n")
        sighup_and_wait(s, "not reloaded")
        assert f"{live_cert}: no PEM certificate could be read" in s.stderr_text()
        c = connect(s.port, context(pki))
        try:
            assert peer_cn_serial(c) == ("jeton-tls-kept", serial)
            assert fetch(c)[0] == 200
        finally:
            c.close()

        # a renewal half done (the new key, the old certificate) is refused too
        _, other_key, _ = pki.issue("jeton-tls-half-renewed")
        shutil.copyfile(pki.dir / "jeton-tls-kept.pem", live_cert)
        shutil.copyfile(other_key, live_key)
        sighup_and_wait(s, "not reloaded")
        assert not any(line in s.stderr_text() for line in key_body(other_key))
        c = connect(s.port, context(pki))
        try:
            assert peer_cn_serial(c) == ("jeton-tls-kept", serial)
            assert fetch(c)[0] == 200
        finally:
            c.close()
    finally:
        s.finish()


def test_handshakes_during_repeated_reloads_all_succeed(tmp_path, pki):
    """Parallel clients open new connections while the pair is swapped 20 times: every
    handshake gets one whole pair (an old one, freed while a handshake used it, would fail
    or crash; ASan sees a use after free), and every connection is served."""
    s, live_cert, live_key, _ = tls_server(tmp_path / "srv", pki, "jeton-tls-a")
    a = (pki.dir / "jeton-tls-a.pem", pki.dir / "jeton-tls-a.key")
    b = pki.issue("jeton-tls-b")[:2]
    s.start()
    ctx = context(pki)
    stop = threading.Event()
    seen, failures, served = set(), [], [0]
    lock = threading.Lock()

    def client():
        while not stop.is_set():
            try:
                c = connect(s.port, ctx)
                cn = peer_cn_serial(c)[0]
                status = fetch(c)[0]
                c.close()
                with lock:
                    seen.add(cn)
                    served[0] += 1
                    if status != 200:
                        failures.append(f"status {status}")
            except Exception as e:      # noqa: BLE001 - any failure is the finding
                with lock:
                    failures.append(repr(e))

    threads = [threading.Thread(target=client) for _ in range(4)]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        for i in range(20):
            install(*(b if i % 2 == 0 else a), live_cert, live_key)
            sighup_and_wait(s, "reloaded")
            time.sleep(0.05)
            assert time.monotonic() < deadline, "reloads too slow"
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=HTTP_TIMEOUT)
    try:
        assert not failures, failures[:5]
        assert seen == {"jeton-tls-a", "jeton-tls-b"}, seen
        assert served[0] >= 20, served[0]
        c = connect(s.port, ctx)
        assert peer_cn_serial(c)[0] == "jeton-tls-a"      # the 20th install put a back
        c.close()
    finally:
        s.finish()


def test_sighup_without_tls_keeps_serving(tmp_path):
    s = Server(tmp_path)
    s.start()
    try:
        s.proc.send_signal(signal.SIGHUP)
        assert poll(lambda: "no TLS certificate to reload" in s.stderr_text(), timeout=5.0), \
            s.stderr_text()[-2000:]
        assert s.get("/healthz").status_code == 200
    finally:
        s.finish()


def test_an_expired_certificate_is_said_loudly_at_start(tmp_path):
    import datetime as dt
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jeton-tls-expired")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=10))
            .not_valid_after(now - dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    (tmp_path / "old.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "old.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    from conftest import JETON_BIN, STOP_TIMEOUT, clean_env, free_port
    log = tmp_path / "serve.log"
    with open(log, "w") as err:
        proc = subprocess.Popen(
            [JETON_BIN, "serve", "--db", str(tmp_path / "j.db"),
             "--listen", f"127.0.0.1:{free_port()}", "--tls-cert", str(tmp_path / "old.pem"),
             "--tls-key", str(tmp_path / "old.key")],
            cwd=tmp_path, env=clean_env(), stdout=subprocess.DEVNULL, stderr=err)
    try:
        # served (the operator may be replacing it), but the log says what every client sees
        assert poll(lambda: "jeton: listening on https://" in log.read_text(), timeout=10.0), \
            log.read_text()
        assert re.search(r"TLS certificate CN=jeton-tls-expired, .*; EXPIRED: clients refuse it",
                         log.read_text()), log.read_text()
    finally:
        proc.terminate()
        assert proc.wait(timeout=STOP_TIMEOUT) == 0
