# SPDX-License-Identifier: MIT
"""/metrics in the Prometheus text format (0.0.4), read by a strict parser: answer-time
histograms by route group, open connections, the store writer's batches, throttled password
attempts and the resident memory, each moving with what the server does."""
import math
import re
import socket

import requests

from conftest import HTTP_TIMEOUT, describe, make_token, poll, unique
from oauth_helpers import (client_token, code_app, create_app, find_form, member, refresh,
                           tokens)

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(rf"({NAME})(?:\{{((?:{LABEL})(?:,{LABEL})*)?\}})? (\S+)")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def parse(text):
    """{family: {"type", "help", "samples": {(name, labels): value}}}; fails on any line the
    format does not allow, a sample before its family's TYPE, a family typed twice or a series
    given twice."""
    assert text.endswith("\n"), "the exposition ends with a newline"
    families, current = {}, None
    for line in text.split("\n")[:-1]:
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            assert re.fullmatch(NAME, name) and help_text, line
            families.setdefault(name, {"samples": {}})["help"] = help_text
            continue
        if line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            assert re.fullmatch(NAME, name) and kind in TYPES, line
            fam = families.setdefault(name, {"samples": {}})
            assert "type" not in fam, f"{name} typed twice"
            fam["type"], current = kind, name
            continue
        assert not line.startswith("#") and line, f"unexpected line {line!r}"
        m = SAMPLE.fullmatch(line)
        assert m, f"not a sample line: {line!r}"
        name, labels, value = m.groups()
        suffixes = ("_bucket", "_sum", "_count") if families[current]["type"] in (
            "histogram", "summary") else ()
        assert name == current or (name.startswith(current) and
                                   name[len(current):] in suffixes), \
            f"{name} outside its family ({current})"
        v = float(value)  # NaN, +Inf and -Inf parse too
        key = (name, tuple(sorted(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"',
                                             labels or ""))))
        assert key not in families[current]["samples"], f"{key} given twice"
        families[current]["samples"][key] = v
    return families


def check_histogram(fam, name, labels=()):
    """Buckets cumulative with ascending bounds, +Inf equal to _count; (count, sum)."""
    buckets = sorted(((float(dict(lab)["le"]), v) for (n, lab), v in fam["samples"].items()
                      if n == name + "_bucket" and
                      set(labels) <= set(lab)), key=lambda b: b[0])
    assert buckets and math.isinf(buckets[-1][0]), f"{name}{labels} has no +Inf bucket"
    counts = [v for _, v in buckets]
    assert counts == sorted(counts), f"{name}{labels} buckets are not cumulative: {buckets}"
    count = fam["samples"][(name + "_count", tuple(sorted(labels)))]
    total = fam["samples"][(name + "_sum", tuple(sorted(labels)))]
    assert counts[-1] == count
    return count, total, buckets


def metrics(server):
    r = server.get("/metrics")
    assert r.status_code == 200, describe(r)
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return parse(r.text)


def value(fams, family, name=None, **labels):
    return fams[family]["samples"][(name or family, tuple(sorted(labels.items())))]


def test_every_family_has_help_and_a_type_and_parses(server):
    fams = metrics(server)
    for name, fam in fams.items():
        assert "help" in fam and "type" in fam, name
    for family in ("jeton_http_requests_total", "jeton_http_request_duration_seconds",
                   "jeton_http_connections", "jeton_http_requests_in_flight",
                   "jeton_verify_cache_total", "jeton_tokens_verified_total", "jeton_store_up",
                   "jeton_store_write_batch_size", "jeton_store_write_batch_duration_seconds",
                   "jeton_password_attempts_throttled_total", "process_resident_memory_bytes"):
        assert family in fams, family


def test_answer_times_are_a_histogram_per_route_group_with_sub_millisecond_buckets(server):
    before = metrics(server)["jeton_http_request_duration_seconds"]
    api0, _, buckets = check_histogram(before, "jeton_http_request_duration_seconds",
                                       [("group", "api")])
    assert {0.0001, 0.00025, 0.0005, 0.001, 0.0025} <= {b for b, _ in buckets}
    verify0, _, _ = check_histogram(before, "jeton_http_request_duration_seconds",
                                    [("group", "verify")])
    for _ in range(5):
        assert server.get("/v1/ping").status_code == 200
    assert server.get("/auth/verify").status_code == 401
    after = metrics(server)["jeton_http_request_duration_seconds"]
    groups = {dict(lab)["group"] for (n, lab) in after["samples"] if n.endswith("_count")}
    assert groups == {"api", "oauth", "verify", "console", "other"}
    api1, api_sum, _ = check_histogram(after, "jeton_http_request_duration_seconds",
                                       [("group", "api")])
    verify1, _, _ = check_histogram(after, "jeton_http_request_duration_seconds",
                                    [("group", "verify")])
    assert api1 - api0 == 5
    assert verify1 - verify0 == 1
    assert 0 < api_sum < 60


def test_open_connections_are_counted_while_open(server):
    base = value(metrics(server), "jeton_http_connections")
    socks = [socket.create_connection(("127.0.0.1", server.port), timeout=HTTP_TIMEOUT)
             for _ in range(3)]
    try:
        # the /metrics request's own connection counts too
        assert poll(lambda: value(metrics(server), "jeton_http_connections") >= base + 3,
                    timeout=3.0)
    finally:
        for s in socks:
            s.close()
    assert poll(lambda: value(metrics(server), "jeton_http_connections") <= base, timeout=3.0)


def test_store_write_batches_are_measured(server, admin_token):
    fams = metrics(server)
    n0, _, _ = check_histogram(fams["jeton_store_write_batch_size"],
                               "jeton_store_write_batch_size")
    r = server.post("/v1/users/me/access_tokens", admin_token,
                    json={"name": unique("metrics"), "scopes": ["manage_tokens"]})
    assert r.status_code == 201, describe(r)
    fams = metrics(server)
    n1, writes, buckets = check_histogram(fams["jeton_store_write_batch_size"],
                                          "jeton_store_write_batch_size")
    assert n1 > n0 and writes >= n1
    assert {1, 2, 4, 512} <= {b for b, _ in buckets}
    c, seconds, _ = check_histogram(fams["jeton_store_write_batch_duration_seconds"],
                                    "jeton_store_write_batch_duration_seconds")
    assert c == n1 and 0 < seconds < 60


def test_throttled_password_attempts_are_counted(server):
    before = value(metrics(server), "jeton_password_attempts_throttled_total")
    s = requests.Session()
    page = s.get(server.url + "/login", timeout=HTTP_TIMEOUT)
    fields = dict(find_form(page, "/login").fields)
    email = f"{unique('nobody')}@example.com"
    statuses = [s.post(server.url + "/login", data=dict(fields, email=email, password="wrong"),
                       allow_redirects=False, timeout=HTTP_TIMEOUT).status_code
                for _ in range(5)]
    assert 429 in statuses, statuses
    refused = statuses.count(429)
    assert value(metrics(server), "jeton_password_attempts_throttled_total") - before == refused


def test_resident_memory_is_reported(server):
    rss = value(metrics(server), "process_resident_memory_bytes")
    assert 1 << 20 < rss < 1 << 34


def _verified(server, kind, result):
    fams = metrics(server)
    return fams["jeton_tokens_verified_total"]["samples"].get(
        ("jeton_tokens_verified_total", (("kind", kind), ("result", result))), 0)


def test_token_verifications_are_counted_by_kind_and_result(server, admin_token):
    ok0 = _verified(server, "pat", "ok")
    bad0 = _verified(server, "pat", "checksum")
    missing0 = _verified(server, "none", "missing")
    for _ in range(3):
        assert server.get("/auth/verify", admin_token).status_code == 200
    wrong = admin_token[:-1] + ("A" if admin_token[-1] != "A" else "B")
    assert server.get("/auth/verify", wrong).status_code == 401
    assert server.get("/auth/verify").status_code == 401
    assert _verified(server, "pat", "ok") - ok0 == 3
    assert _verified(server, "pat", "checksum") - bad0 == 1
    assert _verified(server, "none", "missing") - missing0 == 1


def _issued(server):
    fams = metrics(server)
    return {dict(lab)["kind"]: v for (_, lab), v in
            fams["jeton_tokens_issued_total"]["samples"].items()}


def test_tokens_issued_are_counted_by_kind(server, admin_token):
    machine = create_app(server, name=unique("metrics-machine"), scopes=["read_content"])
    web = code_app(server, name=unique("metrics-web"))
    user = member(server)
    before = _issued(server)
    assert set(before) == {"pat", "oauth_access", "oauth_refresh", "client_credentials", "jwt"}
    r = server.post("/v1/users/me/access_tokens", admin_token,
                    json={"name": unique("metrics"), "scopes": ["manage_tokens"]})
    assert r.status_code == 201, describe(r)
    assert client_token(server, machine).status_code == 200
    assert client_token(server, machine).status_code == 200
    body = tokens(server, web, user)
    r = refresh(server, web, body["refresh_token"])
    assert r.status_code == 200, describe(r)
    again = refresh(server, web, body["refresh_token"])  # within the grace window
    assert again.status_code == 200, describe(again)
    # the same answer, but expires_in: it counts down (the second may turn in between)
    assert {**again.json(), "expires_in": None} == {**r.json(), "expires_in": None}, \
        describe(again)
    assert 0 < again.json()["expires_in"] <= r.json()["expires_in"], describe(again)
    after = _issued(server)
    assert {k: after[k] - before[k] for k in after} == {
        "pat": 1, "client_credentials": 2, "oauth_access": 2, "oauth_refresh": 2, "jwt": 0}


def _oauth_errors(server):
    fams = metrics(server)
    return {dict(lab)["error"]: v for (_, lab), v in
            fams["jeton_oauth_errors_total"]["samples"].items()}


def test_oauth_refusals_are_counted_by_error(server):
    machine = create_app(server, name=unique("metrics-refused"), scopes=["read_content"])
    web = code_app(server, name=unique("metrics-refused-web"))
    before = _oauth_errors(server)
    assert {"invalid_client", "invalid_grant", "invalid_scope", "other"} <= set(before)
    wrong = dict(machine, client_secret=make_token("jts_"))    # well formed, not the app's
    assert client_token(server, wrong).status_code == 401
    assert client_token(server, machine, scope="manage_users").status_code == 400
    assert refresh(server, machine, "jtr_" + "A" * 40).status_code == 400  # no such grant
    assert refresh(server, web, "jtr_" + "A" * 40).status_code == 400
    after = _oauth_errors(server)
    changed = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    assert changed == {"invalid_client": 1, "invalid_scope": 1, "unauthorized_client": 1,
                       "invalid_grant": 1}, changed
