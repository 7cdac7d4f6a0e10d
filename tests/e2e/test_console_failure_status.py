# SPDX-License-Identifier: MIT
"""A console page answers a failure with the HTTP status of what failed, taken from the one
map from jeton's statuses to HTTP (docs/api.md, "Errors"): the store failing is a 503 page,
a value the store refuses as invalid a 400 page, on every page alike.

The store is made to fail from outside, through the SQLite file: a table renamed away (its
reads fail), or a trigger on a table (its inserts fail as a broken store, or are refused as
a CHECK constraint refuses a value)."""
import contextlib
import sqlite3

import pytest

from conftest import describe, unique
from oauth_helpers import Browser, add_user, find_form

pytestmark = pytest.mark.sqlite_only


@contextlib.contextmanager
def _store_file(server):
    db = sqlite3.connect(str(server.db), isolation_level=None, timeout=5)
    try:
        yield db
    finally:
        db.close()


@contextlib.contextmanager
def _unreadable(server, table):
    """While inside, every statement on table fails: the store reports an error."""
    with _store_file(server) as db:
        db.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
        try:
            yield
        finally:
            db.execute(f"ALTER TABLE {table}_away RENAME TO {table}")


@contextlib.contextmanager
def _inserts(server, table, action):
    """While inside, every insert into table runs action first (a trigger body)."""
    with _store_file(server) as db:
        db.execute(f"CREATE TRIGGER e2e_{table} BEFORE INSERT ON {table} BEGIN {action}; END")
        try:
            yield
        finally:
            db.execute(f"DROP TRIGGER e2e_{table}")


def _failing(server, table):
    """Inserts fail as a broken store fails: the trigger names a table that does not exist."""
    return _inserts(server, table, "INSERT INTO e2e_no_such_table VALUES (1)")


def _refusing(server, table):
    """Inserts are refused as a constraint refuses a value (a CHECK, a foreign key)."""
    return _inserts(server, table, "SELECT RAISE(ABORT, 'refused by the e2e test')")


@pytest.fixture(scope="module")
def admin(server):
    """A browser signed in as an instance admin."""
    user = add_user(server, admin=True)
    b = Browser(server)
    r = b.login(user["email"], user["password"], "/console")
    assert r.status_code == 303, describe(r)
    return b


def _is_page(r, status):
    assert r.status_code == status, describe(r)
    assert r.headers["Content-Type"].startswith("text/html"), r.headers


def test_the_audit_page_is_a_503_page_when_the_store_cannot_read_the_log(server, admin):
    with _unreadable(server, "audit"):
        r = admin.get("/console/audit")
    _is_page(r, 503)
    assert "The audit log could not be read." in r.text
    _is_page(admin.get("/console/audit"), 200)


def test_the_audit_page_is_a_400_page_for_a_date_that_is_not_one(server, admin):
    r = admin.get("/console/audit", params={"since": "yesterday"})
    _is_page(r, 400)
    assert "Dates must be YYYY-MM-DD." in r.text


def _space_page(server, admin):
    """A new space's page, with the form that adds a member."""
    r = admin.post("/console/spaces", data=dict(
        find_form(admin.get("/console/spaces"), "/console/spaces").fields, name=unique("space")))
    assert r.status_code == 303, describe(r)
    page = admin.follow(r)
    assert page.status_code == 200, describe(page)
    return page


def test_adding_a_member_is_a_503_page_when_the_store_fails(server, admin):
    member = add_user(server)
    page = _space_page(server, admin)
    form = find_form(page, page.url.split(server.url, 1)[1] + "/members")
    with _failing(server, "memberships"):
        r = admin.post(form.action, data=dict(form.fields, email=member["email"], role="viewer"))
    _is_page(r, 503)
    r = admin.post(form.action, data=dict(form.fields, email=member["email"], role="viewer"))
    _is_page(r, 200)


def test_adding_a_member_with_an_unknown_role_is_a_400_page(server, admin):
    member = add_user(server)
    page = _space_page(server, admin)
    form = find_form(page, page.url.split(server.url, 1)[1] + "/members")
    r = admin.post(form.action, data=dict(form.fields, email=member["email"], role="owner"))
    _is_page(r, 400)
    assert "Choose viewer, editor or admin." in r.text


def test_a_space_the_store_refuses_as_invalid_is_a_400_page_not_503(server, admin):
    form = find_form(admin.get("/console/spaces"), "/console/spaces")
    with _refusing(server, "spaces"):
        r = admin.post(form.action, data=dict(form.fields, name=unique("refused")))
    _is_page(r, 400)
    assert "The space could not be stored." in r.text


def test_a_space_is_a_503_page_when_the_store_fails(server, admin):
    form = find_form(admin.get("/console/spaces"), "/console/spaces")
    with _failing(server, "spaces"):
        r = admin.post(form.action, data=dict(form.fields, name=unique("failed")))
    _is_page(r, 503)
