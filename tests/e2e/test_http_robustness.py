# SPDX-License-Identifier: MIT
"""HTTP/1.1 keep-alive, pipelining, malformed requests, stuck and concurrent clients."""
import threading
import time

import pytest
import requests

from conftest import HTTP_TIMEOUT, RawConn, describe, json_body, raw_exchange


def _ping_still_works(server):
    r = server.get("/v1/ping")
    assert r.status_code == 200, f"server stopped serving: {describe(r)}"


def _get(path, token=None, host="127.0.0.1"):
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}\r\n".encode()


def test_keep_alive_serves_several_requests_on_one_connection(server, admin_token):
    c = RawConn(server.port)
    try:
        for path, token in [("/v1/ping", None), ("/v1/me", admin_token),
                            ("/v1/users/me/access_tokens", admin_token), ("/v1/ping", None)]:
            assert c.send(_get(path, token)), "server closed a keep-alive connection"
            resp = c.read_response()
            assert resp is not None, f"no response for {path} on a kept-alive connection"
            assert resp[0] == 200, (path, resp[:2])
            assert resp[1].get("connection", "").lower() != "close", resp[1]
        assert json_body(resp)["ok"] is True
    finally:
        c.close()


def test_keep_alive_survives_error_responses(server, admin_token):
    c = RawConn(server.port)
    try:
        c.send(_get("/v1/me"))  # 401
        assert c.read_response()[0] == 401
        c.send(_get("/v1/no-such-path", admin_token))  # 404
        assert c.read_response()[0] == 404
        c.send(_get("/v1/me", admin_token))
        resp = c.read_response()
        assert resp is not None and resp[0] == 200, resp and resp[:2]
    finally:
        c.close()


def test_pipelined_requests_are_answered_in_order(server, admin_token):
    c = RawConn(server.port)
    try:
        c.send(_get("/v1/ping") + _get("/v1/me", admin_token) + _get("/v1/no-such-path",
                                                                     admin_token))
        statuses = []
        for _ in range(3):
            resp = c.read_response()
            assert resp is not None, f"pipelined responses stopped after {statuses}"
            statuses.append(resp[0])
        assert statuses == [200, 200, 404]
    finally:
        c.close()


def test_http_1_0_request_is_answered(server):
    resp = raw_exchange(server.port, b"GET /v1/ping HTTP/1.0\r\n\r\n")
    assert resp is not None and resp[0] == 200, resp and resp[:2]
    assert json_body(resp)["service"] == "jeton"


def test_connection_close_is_honoured(server):
    c = RawConn(server.port)
    try:
        c.send(b"GET /v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        resp = c.read_response()
        assert resp is not None and resp[0] == 200
        assert c.closed_by_peer(timeout=5.0), "server kept a Connection: close connection open"
    finally:
        c.close()


@pytest.mark.parametrize("raw", [
    b"GET /v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n",
    b"POST /v1/users/me/access_tokens HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Length: -5\r\n\r\n",
    b"GET /v1/ping HTTP/1.1\r\n\r\n",
], ids=["content_length_not_a_number", "negative_content_length", "http_1_1_without_host"])
def test_malformed_request_gets_a_4xx_and_the_server_keeps_serving(server, raw):
    resp = raw_exchange(server.port, raw)
    assert resp is not None, "connection closed without a response"
    assert 400 <= resp[0] < 500, resp[:2]
    _ping_still_works(server)


# Lines that are not HTTP request lines at all (no target, no version) may
# be dropped without an answer, as libmicrohttpd does: there is no HTTP
# version to answer in. What matters is that nothing hangs and the server
# keeps serving.
@pytest.mark.long      # two of these wait out their 2 s read timeout
@pytest.mark.parametrize("raw", [
    b"GARBAGE\r\n\r\n",
    b"GET\r\n\r\n",
    b"\x00\x01\x02\x03\xff\xfe\r\n\r\n",
    b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 64,   # a TLS ClientHello
    b"GET /v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n"
    b"Content-Length: 7\r\n\r\nhello",
    b"POST /v1/users/me/access_tokens HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Transfer-Encoding: chunked\r\n\r\nZZZ\r\nabc\r\n0\r\n\r\n",
    b"GET /v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header Name: x\r\n\r\n",
], ids=["garbage_line", "no_target", "binary", "tls_hello", "two_content_lengths",
        "bad_chunk_size", "space_in_header_name"])
def test_garbled_bytes_are_refused_or_dropped_and_the_server_keeps_serving(server, raw):
    resp = raw_exchange(server.port, raw, timeout=2.0)
    if resp is not None:
        assert 400 <= resp[0] < 500, resp[:2]
    _ping_still_works(server)


def test_truncated_body_then_hang_up_does_not_hurt_the_server(server, admin_token):
    c = RawConn(server.port)
    c.send((f"POST /v1/users/me/access_tokens HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {admin_token}\r\nContent-Type: application/json\r\n"
            "Content-Length: 100\r\n\r\n{\"name\": \"tr").encode())
    c.close()
    _ping_still_works(server)
    names = {t["name"] for t in
             server.get("/v1/users/me/access_tokens?limit=100", admin_token).json()["items"]}
    assert not any(n.startswith("tr") for n in names), names


def test_stuck_and_idle_clients_do_not_block_others(server, admin_token):
    stuck = []
    try:
        for i in range(300):
            c = RawConn(server.port)
            if i % 2:
                c.send(b"GET /v1/ping HTTP/1.1\r\nHost: 127.0")  # never finished
            stuck.append(c)
        t0 = time.monotonic()
        for _ in range(5):
            r = server.get("/v1/me", token=admin_token)
            assert r.status_code == 200, describe(r)
        assert time.monotonic() - t0 < HTTP_TIMEOUT
    finally:
        for c in stuck:
            c.close()
    _ping_still_works(server)


def test_concurrent_clients_are_all_served(server, admin_token):
    failures, lock = [], threading.Lock()

    def worker():
        with requests.Session() as s:
            for _ in range(25):
                try:
                    r = s.get(server.url + "/v1/me",
                              headers={"Authorization": f"Bearer {admin_token}"},
                              timeout=HTTP_TIMEOUT)
                    if r.status_code != 200:
                        with lock:
                            failures.append(r.status_code)
                except requests.RequestException as e:
                    with lock:
                        failures.append(repr(e))
    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "concurrent requests hung"
    assert failures == [], failures[:5]


def test_head_or_unknown_methods_do_not_break_the_server(server):
    for method in ("HEAD", "OPTIONS", "TRACE", "FOO"):
        try:
            requests.request(method, server.url + "/v1/ping", timeout=HTTP_TIMEOUT)
        except requests.RequestException:
            pass
    _ping_still_works(server)


def test_wrong_method_on_ping_is_405_with_allow(server):
    r = server.delete("/v1/ping")
    assert r.status_code == 405, describe(r)
    assert r.json()["error"] == "method_not_allowed"
    assert "GET" in r.headers.get("Allow", "").upper()
