# SPDX-License-Identifier: MIT
"""The PAT string: jtp_ + 32 base62 random characters + 6 base62 CRC32 checksum."""
from conftest import TOKEN_RE, checksum_ok, cli_ok, describe


def test_api_token_has_the_documented_format_and_checksum(server, admin_token):
    pat = server.create_pat(admin_token, scopes=["manage_tokens"])
    token = pat["token"]
    assert TOKEN_RE.match(token), token
    assert len(token) == 42
    assert checksum_ok(token), f"checksum of {token} is not CRC32/base62 of its first 36 chars"
    assert pat["display_prefix"] == token[:8]


def test_cli_token_has_the_documented_format_and_checksum(server):
    token = server.create_token("admin@localhost", scopes=["manage_tokens"], check=False)
    assert TOKEN_RE.match(token) and checksum_ok(token), token


def test_rotated_token_has_the_documented_format_and_checksum(server, admin_token):
    pat = server.create_pat(admin_token, scopes=["manage_tokens"])
    r = server.post(f"/v1/users/me/access_tokens/{pat['id']}/rotate", admin_token)
    assert r.status_code == 201, describe(r)
    token = r.json()["token"]
    assert TOKEN_RE.match(token) and checksum_ok(token), token
    assert r.json()["display_prefix"] == token[:8]


def test_tokens_are_all_different(server, admin_token):
    tokens = {server.create_pat(admin_token, scopes=["manage_tokens"])["token"]
              for _ in range(20)}
    assert len(tokens) == 20
    # 32 characters of randomness: no two tokens share their random part's start either
    assert len({t[4:20] for t in tokens}) == 20


def test_cli_token_create_prints_only_the_token(server):
    p = cli_ok(server.cli("token", "create", "--user", "admin@localhost", "--name", "only",
                          "--scopes", "manage_tokens"))
    lines = p.stdout.splitlines()
    assert len(lines) == 1 and TOKEN_RE.match(lines[0]), p.stdout
