# SPDX-License-Identifier: MIT
"""Requests that two readers could understand differently are refused, not guessed at: two Host
headers, %00 in the URL, JSON with something after the value or a key twice, and a transfer
coding jeton cannot decode (501 at once, not silence until the idle timeout). Sent over a raw
socket where an HTTP library would not produce the request."""
import json

from conftest import RawConn, describe, json_body, raw_exchange, unique


def _request(method, path, headers=(), body=b""):
    lines = [f"{method} {path} HTTP/1.1", *headers]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _token_names(server, token):
    r = server.get("/v1/users/me/access_tokens?limit=100", token)
    assert r.status_code == 200, describe(r)
    return [t["name"] for t in r.json()["items"]]


def test_two_host_headers_are_refused_with_400(server):
    resp = raw_exchange(server.port, _request("GET", "/v1/ping",
                                              ["Host: 127.0.0.1", "Host: evil.example"]))
    assert resp is not None, "no response"
    assert resp[0] == 400, resp[:2]
    assert json_body(resp)["error"] == "invalid_request"


def test_nul_in_the_path_is_refused_with_400(server):
    # the library decodes the path into a C string: /v1/ping%00/x used to route as /v1/ping
    resp = raw_exchange(server.port, _request("GET", "/v1/ping%00/x", ["Host: 127.0.0.1"]))
    assert resp is not None, "no response"
    assert resp[0] == 400, resp[:2]
    assert json_body(resp)["error"] == "invalid_request"


def test_nul_in_the_query_is_refused_with_400(server):
    resp = raw_exchange(server.port, _request("GET", "/v1/ping?x=a%00b", ["Host: 127.0.0.1"]))
    assert resp is not None, "no response"
    assert resp[0] == 400, resp[:2]


def test_json_body_with_content_after_the_value_is_refused(server, admin_token):
    name = unique("trailing")
    for body in (json.dumps({"name": name}) + " x", json.dumps({"name": name}) * 2):
        r = server.post("/v1/users/me/access_tokens", admin_token, data=body,
                        headers={"Content-Type": "application/json"})
        assert r.status_code == 400, describe(r)
        assert r.json()["error"] == "invalid_request", describe(r)
    assert name not in _token_names(server, admin_token)


def test_json_body_with_whitespace_after_the_value_is_accepted(server, admin_token):
    name = unique("spaces")
    r = server.post("/v1/users/me/access_tokens", admin_token,
                    data=json.dumps({"name": name}) + " \r\n\t ",
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 201, describe(r)


def test_json_body_with_a_key_twice_is_refused(server, admin_token):
    first, second = unique("first"), unique("second")
    r = server.post("/v1/users/me/access_tokens", admin_token,
                    data=f'{{"name": "{first}", "name": "{second}"}}',
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 400, describe(r)
    assert r.json()["error"] == "invalid_request", describe(r)
    names = _token_names(server, admin_token)
    assert first not in names and second not in names


def test_json_body_with_a_key_twice_in_a_nested_object_is_refused(server, admin_token):
    name = unique("nested")
    r = server.post("/v1/users/me/access_tokens", admin_token,
                    data=f'{{"name": "{name}", "x": [{{"a": 1, "b": 2, "a": 3}}]}}',
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 400, describe(r)
    assert name not in _token_names(server, admin_token)


def test_unknown_transfer_encoding_gets_501_at_once(server):
    c = RawConn(server.port, timeout=3.0)
    try:
        c.send(_request("POST", "/oauth/token",
                        ["Host: 127.0.0.1", "Transfer-Encoding: gzip",
                         "Content-Type: application/x-www-form-urlencoded"]))
        resp = c.read_response()
    finally:
        c.close()
    assert resp is not None, "no answer within 3 s to Transfer-Encoding: gzip"
    assert resp[0] == 501, resp[:2]
    assert json_body(resp)["error"] == "not_implemented"
