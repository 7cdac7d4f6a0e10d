# SPDX-License-Identifier: MIT
"""Leaked tokens are revoked by whoever finds them (issue 14, part 3): signed reports in the
shape of GitHub's secret-scanning partner program (POST /v1/token_leaks, ECDSA P-256 over the
raw body), GitLab's Token Revocation API (bearer token with report_leaks), and the holder of a
token revoking it without other credentials. Runs on both stores."""
import base64
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from conftest import assert_401, assert_error, cli_ok, describe, make_token, unique, with_bad_checksum
from oauth_helpers import Browser, add_user, assert_oauth_error, client_token, code_app, create_app, member, refresh, \
    tokens

URL = "https://github.com/octocat/Hello-World/blob/12345600b9cbe38a219f39a9941c9319b600c002/foo/bar.txt"


class Scanner:
    """A scanner's key pair, registered with `jeton scanner add`."""

    def __init__(self, server, tmp_path, register=True):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = unique("scanner")
        self.pem = tmp_path / f"{self.name}.pem"
        self.pem.write_bytes(self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        self.key_id = None
        if register:
            p = cli_ok(server.cli("scanner", "add", self.name, "--public-key", str(self.pem)))
            self.key_id = p.stdout.strip()

    def sign(self, body):
        return base64.b64encode(self.key.sign(body, ec.ECDSA(hashes.SHA256()))).decode()


def report(server, scanner, entries, key_id=None, signature=None, body=None):
    """POSTs a report as GitHub sends one: the raw body, its key id and signature headers."""
    raw = body if body is not None else json.dumps(entries).encode()
    headers = {"Content-Type": "application/json",
               "Github-Public-Key-Identifier": key_id or scanner.key_id,
               "Github-Public-Key-Signature": signature or scanner.sign(raw)}
    return server.post("/v1/token_leaks", data=raw, headers=headers)


def entry(token, type_="jeton_personal_access_token", url=URL):
    return {"token": token, "type": type_, "url": url, "source": "content"}


def assert_revoked(server, token):
    description = assert_401(server.get("/v1/me", token=token))
    assert "revoked" in description, description


@pytest.fixture(scope="module")
def scanner(server, tmp_path_factory):
    return Scanner(server, tmp_path_factory.mktemp("keys"))


@pytest.fixture
def user(server):
    return add_user(server)


def test_signed_report_revokes_each_valid_token_and_labels_every_entry(server, scanner, user):
    pat = server.create_token(user["email"])
    unknown = make_token("jtp_")
    entries = [entry(pat), entry(unknown), entry("not-a-token", "other"),
               entry(with_bad_checksum(make_token("jtp_")))]
    r = report(server, scanner, entries)
    assert r.status_code == 200, describe(r)
    assert r.json() == [
        {"token_raw": pat, "token_type": "jeton_personal_access_token", "label": "true_positive"},
        {"token_raw": unknown, "token_type": "jeton_personal_access_token",
         "label": "false_positive"},
        {"token_raw": "not-a-token", "token_type": "other", "label": "false_positive"},
        {"token_raw": entries[3]["token"], "token_type": "jeton_personal_access_token",
         "label": "false_positive"},
    ]
    assert_revoked(server, pat)


def test_oauth_access_refresh_and_client_tokens_are_revoked_too(server, scanner):
    app = code_app(server)
    grant_tokens = tokens(server, app, member(server))
    machine = client_token(server, create_app(server, grants=["client_credentials"],
                                              scopes=["read_content"])).json()["access_token"]
    r = report(server, scanner, [entry(grant_tokens["refresh_token"]), entry(machine)])
    assert [e["label"] for e in r.json()] == ["true_positive", "true_positive"], describe(r)
    # A leaked refresh token takes its grant with it: the access token from it dies too.
    assert_revoked(server, grant_tokens["access_token"])
    assert_revoked(server, machine)
    assert refresh(server, app, grant_tokens["refresh_token"]).status_code == 400


def test_leaked_client_secret_stops_working_and_takes_its_tokens(server, scanner):
    app = create_app(server, grants=["client_credentials"], scopes=["read_content"])
    minted = client_token(server, app).json()["access_token"]
    r = report(server, scanner, [entry(app["client_secret"], "jeton_client_secret")])
    assert r.json()[0]["label"] == "true_positive", describe(r)
    assert_oauth_error(client_token(server, app), 401, "invalid_client")
    assert_revoked(server, minted)
    # The admin gives the app a new secret; a replay of the report leaves it alone.
    fresh = server.post(f"/v1/apps/{app['id']}/secret", server.admin_token).json()
    app = {**app, "client_secret": fresh["client_secret"]}
    again = report(server, scanner, [entry(r.json()[0]["token_raw"], "jeton_client_secret")])
    assert again.json() == r.json()
    assert client_token(server, app).status_code == 200


def test_report_signed_by_another_key_is_refused(server, scanner, user, tmp_path):
    pat = server.create_token(user["email"])
    other = Scanner(server, tmp_path, register=False)
    raw = json.dumps([entry(pat)]).encode()
    r = report(server, scanner, None, body=raw, signature=other.sign(raw))
    assert_error(r, 401)
    server.assert_token_works(pat)


def test_tampered_body_is_refused(server, scanner, user):
    pat = server.create_token(user["email"])
    decoy = server.create_token(user["email"])
    signed = json.dumps([entry(decoy)]).encode()
    r = report(server, scanner, None, body=json.dumps([entry(pat)]).encode(),
               signature=scanner.sign(signed))
    assert_error(r, 401)
    server.assert_token_works(pat)
    server.assert_token_works(decoy)


def test_unknown_key_id_is_refused(server, scanner, user):
    pat = server.create_token(user["email"])
    r = report(server, scanner, [entry(pat)], key_id="f" * 64)
    assert_error(r, 401)
    server.assert_token_works(pat)


def test_replayed_report_revokes_nothing_more_and_answers_the_same_labels(server, scanner, user):
    pat = server.create_token(user["email"])
    raw = json.dumps([entry(pat), entry(make_token("jtp_"))]).encode()
    first = report(server, scanner, None, body=raw)
    assert first.status_code == 200, describe(first)
    again = report(server, scanner, None, body=raw)
    assert again.status_code == 200, describe(again)
    assert again.json() == first.json()
    events = server.audit_events("token.leaked", limit=100)
    mine = [e for e in events if e["actor"] == f"scanner:{scanner.name}" and
            f"of user {user['id']} " in e["target"]]
    assert len(mine) == 1, events


def test_the_same_report_sent_at_once_is_acted_on_once(server, scanner, user):
    """Four copies of one report in parallel, five rounds: every copy gets the same labels,
    and the token is audited as leaked once."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(5):
            pat = server.create_token(user["email"])
            url = f"https://example.com/{unique('race')}"
            raw = json.dumps([entry(pat, url=url)]).encode()
            answers = list(pool.map(lambda _: report(server, scanner, None, body=raw), range(4)))
            assert [a.status_code for a in answers] == [200] * 4, [describe(a) for a in answers]
            assert [a.json()[0]["label"] for a in answers] == ["true_positive"] * 4
            assert_revoked(server, pat)
            events = server.audit_events("token.leaked", limit=100)
            assert [e["target"].endswith(url) for e in events].count(True) == 1, events


def test_owner_sees_the_leak_on_the_tokens_page(server, scanner, user):
    pat = server.create_token(user["email"], name="ci-deploy")
    url = f"https://example.com/{unique('repo')}/.env?a=1&b=2"
    assert report(server, scanner, [entry(pat, url=url)]).status_code == 200
    browser = Browser(server)
    assert browser.login(user["email"], user["password"]).status_code == 303
    page = browser.get("/console/tokens")
    assert page.status_code == 200, describe(page)
    assert f"revoked: leaked at {url.replace('&', '&amp;')}" in page.text, page.text


def test_gitlab_token_revocation_api(server, user):
    reporter = create_app(server, grants=["client_credentials"], scopes=["report_leaks"])
    bearer = client_token(server, reporter).json()["access_token"]
    r = server.get("/v1/revocable_token_types", token=bearer)
    assert r.status_code == 200, describe(r)
    assert "gitleaks_rule_id_jeton_personal_access_token" in r.json()["types"], r.json()
    pat = server.create_token(user["email"])
    r = server.post("/v1/revoke_tokens", token=bearer, json=[
        {"type": "gitleaks_rule_id_jeton_personal_access_token", "token": pat,
         "location": "https://gitlab.example/group/project/-/blob/main/.env"},
        {"type": "gitleaks_rule_id_jeton_personal_access_token", "token": "garbage"}])
    assert r.status_code == 204, describe(r)
    assert_revoked(server, pat)


def test_gitlab_api_needs_the_report_leaks_scope(server, user):
    pat = server.create_token(user["email"])
    r = server.get("/v1/revocable_token_types", token=pat)
    assert_error(r, 403, "insufficient_scope")
    r = server.post("/v1/revoke_tokens", token=pat, json=[{"type": "x", "token": pat}])
    assert_error(r, 403, "insufficient_scope")
    server.assert_token_works(pat)


def test_holder_revokes_a_token_without_other_credentials(server, user):
    pat = server.create_token(user["email"])
    r = server.post("/v1/token_leaks", json={"token": pat})
    assert r.status_code == 200, describe(r)
    assert_revoked(server, pat)


def test_holder_revocation_answers_alike_for_an_unknown_token(server):
    r = server.post("/v1/token_leaks", json={"token": make_token("jtp_")})
    assert r.status_code == 200, describe(r)
    assert r.content == b""


def test_unsigned_report_of_many_tokens_is_refused(server, user):
    pat = server.create_token(user["email"])
    r = server.post("/v1/token_leaks", json=[entry(pat)])
    assert_error(r, 401)
    server.assert_token_works(pat)


def test_report_of_more_than_1000_tokens_is_refused_whole(server, scanner, user):
    pat = server.create_token(user["email"])
    entries = [entry(pat)] + [{"token": "x"}] * 1000
    r = report(server, scanner, entries)
    assert_error(r, 413)
    server.assert_token_works(pat)


def test_report_over_the_body_limit_is_refused(server, scanner):
    entries = [entry(make_token("jtp_"), url="https://x/" + "a" * 500) for _ in range(200)]
    r = report(server, scanner, entries)
    assert r.status_code == 413, describe(r)


def test_scanner_cli_lists_refuses_other_keys_and_removes(server, tmp_path):
    s = Scanner(server, tmp_path)
    listed = cli_ok(server.cli("scanner", "list")).stdout
    assert s.name in listed and s.key_id in listed, listed
    rsa = tmp_path / "rsa.pem"
    rsa.write_bytes(b"-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n")
    p = server.cli("scanner", "add", unique("bad"), "--public-key", str(rsa))
    assert p.returncode != 0 and "P-256" in p.stderr, p.stderr
    cli_ok(server.cli("scanner", "remove", s.name))
    r = report(server, s, [entry(make_token("jtp_"))])
    assert_error(r, 401)
