# SPDX-License-Identifier: MIT
"""GET /v1/users/me/access_tokens: newest first, limit and before/next_before pagination."""
import pytest

from conftest import assert_error, describe

BASE = "/v1/users/me/access_tokens"
COUNT = 8  # tokens of the paginating user (its manage token + 7 made over the API)


@pytest.fixture(scope="module")
def lister(server):
    """A user with COUNT tokens; another user's tokens are created in between."""
    user = server.new_user()
    other = server.new_user()
    token = server.create_token(user["email"], name="lister", scopes=["manage_tokens"])
    other_token = server.create_token(other["email"], name="other", scopes=["manage_tokens"])
    mine, theirs = [], []
    for i in range(COUNT - 1):
        mine.append(server.create_pat(token, name=f"page-{i}", scopes=["manage_tokens"])["id"])
        theirs.append(server.create_pat(other_token, name=f"theirs-{i}",
                                        scopes=["manage_tokens"])["id"])
    me = server.get("/v1/me", token=token).json()
    mine.append(me["token"]["id"])
    return {"token": token, "ids": sorted(mine, reverse=True), "theirs": set(theirs)}


def _page(server, token, query):
    r = server.get(f"{BASE}?{query}", token)
    assert r.status_code == 200, describe(r)
    return r.json()


def test_list_is_newest_first(server, lister):
    page = _page(server, lister["token"], "limit=100")
    ids = [t["id"] for t in page["items"]]
    assert ids == lister["ids"]
    assert page["next_before"] is None
    assert page["limit"] == 100


def test_default_limit_is_25(server, lister):
    page = _page(server, lister["token"], "")
    assert page["limit"] == 25
    assert [t["id"] for t in page["items"]] == lister["ids"]


def test_pages_follow_next_before_until_null(server, lister):
    seen, pages, before = [], 0, None
    while pages < 10:
        query = "limit=3" + (f"&before={before}" if before is not None else "")
        page = _page(server, lister["token"], query)
        pages += 1
        assert page["limit"] == 3
        assert len(page["items"]) <= 3
        seen += [t["id"] for t in page["items"]]
        before = page["next_before"]
        if before is None:
            break
        assert before == page["items"][-1]["id"], page
    assert before is None, "pagination did not end within 10 pages"
    assert seen == lister["ids"], "pages must cover every token once, newest first"
    assert pages == 3  # 8 tokens, 3 per page


def test_first_page_has_next_before_when_more_exist(server, lister):
    page = _page(server, lister["token"], "limit=3")
    assert [t["id"] for t in page["items"]] == lister["ids"][:3]
    assert page["next_before"] == lister["ids"][2]


def test_before_returns_only_older_tokens(server, lister):
    pivot = lister["ids"][4]
    page = _page(server, lister["token"], f"before={pivot}&limit=100")
    assert [t["id"] for t in page["items"]] == lister["ids"][5:]
    assert page["next_before"] is None


def test_limit_1_returns_the_newest_token_alone(server, lister):
    page = _page(server, lister["token"], "limit=1")
    assert [t["id"] for t in page["items"]] == lister["ids"][:1]
    assert page["next_before"] == lister["ids"][0]


def test_other_users_tokens_never_appear_in_any_page(server, lister):
    page = _page(server, lister["token"], "limit=100")
    assert not ({t["id"] for t in page["items"]} & lister["theirs"])


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=-1", "limit=abc",
                                   "limit=1.5", "before=abc"])
def test_bad_limit_or_before_is_refused_with_invalid_request(server, lister, query):
    r = server.get(f"{BASE}?{query}", lister["token"])
    assert_error(r, 400, "invalid_request")
