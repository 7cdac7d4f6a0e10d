# SPDX-License-Identifier: MIT
"""GET /v1/me's body and /auth/verify's headers are rendered once per verified
token and reused (issue 13); they still show a change as soon as the token's
verification does: at once when it is made through the server, after the cache
lifetime when another process (the CLI) makes it."""
from concurrent.futures import ThreadPoolExecutor

from conftest import describe


def _me_and_verify(server, token, times=3):
    """The answers, asked several times so that later ones reuse the rendering."""
    for _ in range(times):
        me = server.get("/v1/me", token=token)
        verify = server.get("/auth/verify", token=token)
        assert me.status_code == 200, describe(me)
        assert verify.status_code == 200, describe(verify)
    return me.json(), verify.headers


def test_a_change_through_the_api_shows_at_once(server, admin_token):
    user = server.new_user(admin=True, name="Before")
    token = server.create_token(user["email"])
    me, headers = _me_and_verify(server, token)
    assert me["user"]["friendly_name"] == "Before" and me["user"]["admin"] is True
    assert "manage_users" in headers["X-Jeton-Scopes"].split()

    r = server.patch(f"/v1/users/{user['id']}", admin_token, json={"name": "After", "admin": False})
    assert r.status_code == 200, describe(r)

    me, headers = _me_and_verify(server, token, times=1)
    assert me["user"]["friendly_name"] == "After" and me["user"]["admin"] is False
    assert "manage_users" not in me["scopes"]
    assert "manage_users" not in headers["X-Jeton-Scopes"].split()


def test_a_change_by_another_process_shows_after_the_cache_lifetime(server):
    user = server.new_user()
    space = server.new_space()
    token = server.create_token(user["email"])
    me, _ = _me_and_verify(server, token)
    assert me["spaces"] == []

    server.cli("space", "grant", space["name"], user["email"], "viewer")
    server.after_cache()

    me, _ = _me_and_verify(server, token, times=1)
    assert [(s["id"], s["role"]) for s in me["spaces"]] == [(space["id"], "viewer")]


def test_parallel_requests_on_a_fresh_entry_get_one_answer(server):
    """Requests that find a token's cache entry fresh all render its answers at once; one
    rendering is kept and every request gets the same body and headers."""
    token = server.create_token(server.new_user(name="Parallel")["email"])
    for _ in range(5):
        server.after_cache()             # the next requests load a new entry and render
        with ThreadPoolExecutor(max_workers=16) as pool:
            mes = list(pool.map(lambda _: server.get("/v1/me", token=token), range(16)))
            verifies = list(pool.map(lambda _: server.get("/auth/verify", token=token),
                                     range(16)))
        assert all(r.status_code == 200 for r in mes + verifies), \
            [describe(r) for r in mes + verifies if r.status_code != 200][:2]
        assert len({r.content for r in mes}) == 1
        assert len({tuple(sorted((k, v) for k, v in r.headers.items() if k.startswith("X-Jeton")))
                    for r in verifies}) == 1
        assert mes[0].json()["user"]["friendly_name"] == "Parallel"
