# SPDX-License-Identifier: MIT
"""--access-log: one line per request with method, path and status; never a secret."""
import re
import time

from conftest import poll, unique


def _lines(server, needle):
    return [line for line in server.stderr_text().splitlines() if needle in line]


def test_each_request_gets_one_line_with_method_path_and_status(server, admin_token):
    marker = str(int(time.time() * 1000) % 10**9 + 10**9)
    path = f"/v1/users/me/access_tokens/{marker}"
    r = server.get(path, admin_token)
    assert r.status_code == 404
    lines = poll(lambda: _lines(server, path), timeout=3.0)
    assert len(lines) == 1, f"expected one access-log line for {path}, got {lines}"
    assert "GET" in lines[0] and re.search(r"\b404\b", lines[0]), lines[0]


def test_three_requests_give_three_lines(server):
    path = f"/v1/no-such-{unique('logged')}"
    for _ in range(3):
        server.request("DELETE", path)
    poll(lambda: len(_lines(server, path)) >= 3, timeout=3.0)
    time.sleep(0.2)
    lines = _lines(server, path)
    assert len(lines) == 3, lines
    assert all("DELETE" in line and re.search(r"\b404\b", line) for line in lines), lines


def test_query_string_secrets_are_not_logged(server, admin_token):
    secret = unique("s3cr3t")
    path = f"/v1/no-such-{unique('query')}"
    r = server.get(f"{path}?client_secret={secret}&access_token={admin_token}")
    assert r.status_code == 404
    # the request itself must be logged...
    assert poll(lambda: _lines(server, path), timeout=3.0), "request not logged"
    time.sleep(0.2)
    # ...without the secrets of its query string
    log = server.stderr_text() + server.stdout_text()
    assert secret not in log
    assert admin_token[8:] not in log


def test_refused_token_is_logged_without_the_token(server, admin_token):
    path = f"/v1/me/{unique('refused')}"
    server.get(path, auth=f"Bearer {admin_token}x")
    assert poll(lambda: _lines(server, path), timeout=3.0)
    log = server.stderr_text() + server.stdout_text()
    assert admin_token[8:] not in log


def test_control_characters_in_the_path_are_escaped_on_one_line(server):
    """%0a in a path cannot forge a second log line, nor %1b drive the operator's terminal."""
    marker = unique("forge")
    r = server.get(f"/v1/{marker}%0a2026-01-01T00:00:00Z info GET /forged 200%1b[2J\\%22end")
    assert r.status_code == 404
    assert poll(lambda: _lines(server, marker), timeout=3.0), "request not logged"
    time.sleep(0.2)
    lines = _lines(server, marker)
    assert len(lines) == 1, lines
    assert f'"/v1/{marker}\\x0a2026-01-01T00:00:00Z info GET /forged 200\\x1b[2J\\x5c\\x22end"' \
        in lines[0], lines[0]
    log = server.stderr_text()
    assert "\x1b" not in log
    assert not [line for line in log.splitlines() if line.startswith("2026-01-01T00:00:00Z")]
