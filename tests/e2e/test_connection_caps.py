# SPDX-License-Identifier: MIT
"""Connection caps (docs/deploy.md, "Connections"): one client address holds at most 1,024
connections. Behind a trusted proxy the client is the one X-Forwarded-For names, counted from
its requests (a kept-alive connection counts against the client of its latest request), and
the proxy's own address holds any number; a client over its share gets 503 and the connection
is closed. When connections run short, a new client is still served: the connection that has
waited longest for its client is closed instead."""
import shutil

import pytest

from conftest import RawConn, Server, json_body

PER_ADDRESS = 1024               # LIMIT_CONNECTIONS_PER_IP
CLIENT_A = "198.51.100.1"
CLIENT_B = "198.51.100.2"


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """A server that trusts 127.0.0.1, the address every test connection comes from."""
    s = Server(tmp_path_factory.mktemp("proxied"), access_log=False,
               extra_args=["--trusted-proxy", "127.0.0.1/32"])
    s.start()
    yield s
    s.finish()


def _ping(forwarded_for=None):
    xff = f"X-Forwarded-For: {forwarded_for}\r\n" if forwarded_for else ""
    return f"GET /v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n{xff}\r\n".encode()


def _ask(conn, forwarded_for=None):
    """One request on conn; its answer, or None if the server closed conn without one."""
    if not conn.send(_ping(forwarded_for)):
        return None
    return conn.read_response()


def _kept_alive(port, n, forwarded_for=None):
    """n open connections that each had one request answered 200, then stay idle."""
    conns = []
    try:
        for i in range(n):
            c = RawConn(port)
            conns.append(c)
            answer = _ask(c, forwarded_for)
            assert answer is not None and answer[0] == 200, \
                f"connection {i + 1} of {n}: {answer and answer[:2]}"
    except BaseException:
        _close(conns)
        raise
    return conns


def _close(conns):
    for c in conns:
        c.close()


def test_one_forwarded_client_at_its_cap_does_not_block_another(proxied):
    held = _kept_alive(proxied.port, PER_ADDRESS, CLIENT_A)
    extra_a, b = RawConn(proxied.port), RawConn(proxied.port)
    try:
        over = _ask(extra_a, CLIENT_A)
        other = _ask(b, CLIENT_B)
        # a kept-alive connection counts against the client of its latest request
        moved = _ask(held[0], CLIENT_B)
        again_a = RawConn(proxied.port)
        held.append(again_a)
        room_again = _ask(again_a, CLIENT_A)
    finally:
        _close(held + [extra_a, b])
    assert over is not None, "the client over its share got no answer"
    assert over[0] == 503, over[:2]
    assert "1024" in json_body(over)["error_description"]
    assert over[1].get("connection") == "close", over[1]
    assert other is not None and other[0] == 200, other and other[:2]
    assert moved is not None and moved[0] == 200, moved and moved[:2]
    assert room_again is not None and room_again[0] == 200, room_again and room_again[:2]


def test_the_trusted_proxy_itself_is_not_capped(proxied):
    """Its own requests (no X-Forwarded-For, as a health check) and its idle connections."""
    held = _kept_alive(proxied.port, PER_ADDRESS + 100)
    try:
        idle = [RawConn(proxied.port) for _ in range(100)]
        held += idle
        last = _ask(idle[-1])
    finally:
        _close(held)
    assert last is not None and last[0] == 200, last and last[:2]


@pytest.fixture()
def short_of_descriptors(tmp_path):
    """A server whose descriptor limit (600) leaves room for 344 connections: past 172 open
    (half of them), each new connection closes the one that has waited longest."""
    if not shutil.which("prlimit"):
        pytest.skip("prlimit (util-linux) is needed to start jeton with fewer descriptors")

    class Limited(Server):
        def command(self):
            return ["prlimit", "--nofile=600:600", "--"] + super().command()

    s = Limited(tmp_path, access_log=False)
    s.start()
    yield s
    s.finish()


def test_past_the_connection_limit_a_new_client_is_served_and_the_longest_idle_is_closed(
        short_of_descriptors):
    s = short_of_descriptors
    assert "leaves room for 344 connections" in s.stderr_text()
    held = _kept_alive(s.port, 400)          # more than the 344 it has room for
    newcomer = RawConn(s.port)
    try:
        served = _ask(newcomer)
        oldest_closed = held[0].closed_by_peer(timeout=2.0)
        newest = _ask(held[-1])
    finally:
        _close(held + [newcomer])
    assert served is not None and served[0] == 200, served and served[:2]
    assert oldest_closed, "the connection idle the longest is still open"
    assert newest is not None and newest[0] == 200, newest and newest[:2]
