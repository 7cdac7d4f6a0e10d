# SPDX-License-Identifier: MIT
"""--log-format json (JETON_LOG_FORMAT=json): every log line is one JSON object; an answered
request's line has its request id, method, path, route, status, duration and client; each
answer carries that id in X-Request-Id, the client's own when it sent a valid one; no secret
is ever written."""
import json
import re

import pytest
import requests

from conftest import HTTP_TIMEOUT, Server, poll, run_jeton, unique

ID_RE = re.compile(r"[A-Za-z0-9]{22}")


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("jeton-json-log"), extra_args=["--log-format", "json"])
    s.start()
    yield s
    s.finish()


def _records(server):
    """Every stderr line as a JSON object (a line that is not one fails the test)."""
    records = []
    for line in server.stderr_text().splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            pytest.fail(f"a log line is not JSON: {line!r}")
        assert isinstance(records[-1], dict), line
    return records


def _request_line(server, request_id):
    found = poll(lambda: [r for r in _records(server) if r.get("request_id") == request_id],
                 timeout=3.0)
    assert found, f"no log line with request id {request_id}"
    assert len(found) == 1, found
    return found[0]


def test_every_line_is_a_json_object_with_time_level_and_message(srv):
    srv.get("/v1/ping")
    records = poll(lambda: [r for r in _records(srv) if r.get("path") == "/v1/ping"] and
                   _records(srv), timeout=3.0)
    assert records
    for r in records:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["time"]), r
        assert r["level"] in ("info", "warn", "error"), r
        assert isinstance(r["message"], str) and r["message"], r
    assert any("listening on" in r["message"] for r in records)


def test_a_request_line_has_its_fields_and_the_id_of_its_answer(srv):
    user = unique("u")
    r = srv.get(f"/v1/users/{user}")
    assert r.status_code == 401
    request_id = r.headers["X-Request-Id"]
    assert ID_RE.fullmatch(request_id), request_id
    line = _request_line(srv, request_id)
    assert line["method"] == "GET"
    assert line["path"] == f"/v1/users/{user}"
    assert line["route"] == "/v1/users/{}"
    assert line["status"] == 401
    assert isinstance(line["duration_ms"], (int, float)) and 0 <= line["duration_ms"] < 60000
    assert line["client"] == "127.0.0.1"
    assert line["level"] == "info"


def test_each_answer_gets_its_own_id(srv):
    ids = {srv.get("/v1/ping").headers["X-Request-Id"] for _ in range(20)}
    assert len(ids) == 20


def test_a_valid_request_id_from_the_client_is_kept(srv):
    given = "req-" + unique("trace").replace("_", "-") + ":7.1"
    r = srv.get("/v1/ping", headers={"X-Request-Id": given})
    assert r.headers["X-Request-Id"] == given
    assert _request_line(srv, given)["path"] == "/v1/ping"


@pytest.mark.parametrize("bad", ["has space", "a" * 65, "quote\"d", "semi;colon", "ünï"])
def test_an_invalid_request_id_is_replaced_by_a_fresh_one(srv, bad):
    r = requests.get(srv.url + "/v1/ping", headers={"X-Request-Id": bad.encode("utf-8")},
                     timeout=HTTP_TIMEOUT)
    assert r.status_code == 200
    assert ID_RE.fullmatch(r.headers["X-Request-Id"]), r.headers["X-Request-Id"]
    _request_line(srv, r.headers["X-Request-Id"])


def test_an_unrouted_path_has_an_empty_route(srv):
    r = srv.delete(f"/v1/no-such-{unique('p')}")
    assert r.status_code == 404
    assert _request_line(srv, r.headers["X-Request-Id"])["route"] == ""


def test_control_characters_and_non_ascii_in_the_path_stay_in_one_valid_line(srv):
    marker = unique("forge")
    r = srv.get(f"/v1/{marker}%0a%7b%22level%22:%22error%22%7d%1b[2J%C3%A9")
    line = _request_line(srv, r.headers["X-Request-Id"])
    assert line["path"].startswith(f"/v1/{marker}\\x0a")
    assert "\n" not in line["path"] and "\x1b" not in line["path"]
    assert not [rec for rec in _records(srv) if rec.get("level") == "error" and
                marker in json.dumps(rec)]


def test_secrets_are_never_logged(srv):
    token = srv.admin_token
    secret = unique("s3cr3t")
    r1 = srv.get(f"/v1/no-such?client_secret={secret}&access_token={token}")
    r2 = srv.get("/v1/me", auth=f"Bearer {token}")
    r3 = srv.post("/oauth/token", data={"grant_type": "client_credentials",
                                         "client_id": "x", "client_secret": secret})
    for r in (r1, r2, r3):
        _request_line(srv, r.headers["X-Request-Id"])
    log = srv.stderr_text()
    assert secret not in log
    assert token not in log and token[8:] not in log


def test_the_environment_variable_chooses_json_too(tmp_path):
    s = Server(tmp_path, env={"JETON_LOG_FORMAT": "json"})
    s.start()
    try:
        r = s.get("/v1/ping")
        assert ID_RE.fullmatch(r.headers["X-Request-Id"])
        _request_line(s, r.headers["X-Request-Id"])
    finally:
        s.finish()


def test_text_logs_stay_text_without_request_ids(server):
    r = server.get("/v1/ping")
    assert "X-Request-Id" not in r.headers
    assert poll(lambda: [line for line in server.stderr_text().splitlines()
                         if '"/v1/ping" 200' in line], timeout=3.0)
    assert not server.stderr_text().lstrip().startswith("{")


def test_an_unknown_log_format_is_a_usage_error(tmp_path):
    p = run_jeton("--db", tmp_path / "j.db", "serve", "--log-format", "xml", cwd=tmp_path)
    assert p.returncode == 2
    assert "--log-format must be text or json" in p.stderr
