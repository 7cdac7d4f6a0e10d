# SPDX-License-Identifier: MIT
"""A secret the server hands out (a new personal access token, a rotated one, a new client
secret, an OAuth access token) is wiped from the server's memory once the response is sent:
no copy of it is left in freed memory (design.md, "Data model"). The test reads the running
server's memory through /proc/<pid>/mem, as a debugger or a core dump would."""
import pytest

from conftest import describe, poll, unique
from oauth_helpers import client_token, create_app

BASE = "/v1/users/me/access_tokens"
TAIL = 32     # the last characters of a secret: a freed block keeps all but its first 16 bytes


MAPPING_MAX = 1 << 30   # larger writable mappings are reservations (a sanitizer's shadow)
CHUNK = 16 << 20


def _found(pid, needles):
    """The needles found in the process's writable memory (heap, stacks, anonymous)."""
    found = set()
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if "w" not in fields[1] or end - start > MAPPING_MAX or \
                    (len(fields) > 5 and fields[5].startswith("[v")):
                continue
            tail = b""
            for at in range(start, end, CHUNK):
                try:
                    mem.seek(at)
                    data = tail + mem.read(min(CHUNK, end - at))
                except OSError:
                    break
                found |= {n for n in needles if n in data}
                tail = data[-TAIL:]
    return found


def _readable(server):
    """Whether the scan reads the server's memory at all: its own name is in there."""
    try:
        return b"jeton" in _found(server.proc.pid, [b"jeton"])
    except OSError:
        return False


@pytest.fixture(scope="module")
def handed_out(server):
    """Secrets the server generated and sent, never sent back to it."""
    if not _readable(server):
        pytest.skip("cannot read the server's memory (ptrace is not allowed here)")
    admin = server.admin_token
    secrets = {}
    for i in range(3):
        secrets[f"new token {i}"] = server.create_pat(admin, name=unique("mem"))["token"]
    victim = server.create_pat(admin, name=unique("rotated"))
    r = server.post(f"{BASE}/{victim['id']}/rotate", admin)
    assert r.status_code == 201, describe(r)
    secrets["rotated token"] = r.json()["token"]
    app = create_app(server, admin, scopes=["read_content"], grants=["client_credentials"])
    secrets["client secret"] = app["client_secret"]
    r = server.post(f"/v1/apps/{app['id']}/secret", admin)
    assert r.status_code == 200, describe(r)
    app["client_secret"] = r.json()["client_secret"]
    # the second secret is sent back (HTTP Basic) to get an access token: only the
    # access token, which the server made, is looked for
    r = client_token(server, app)
    assert r.status_code == 200, describe(r)
    secrets["OAuth access token"] = r.json()["access_token"]
    return secrets


def test_no_secret_handed_out_is_left_in_the_servers_memory(server, handed_out):
    def leaked():
        found = _found(server.proc.pid, [secret[-TAIL:].encode() for secret in handed_out.values()])
        return [name for name, secret in handed_out.items() if secret[-TAIL:].encode() in found]
    # a response is freed once the library has sent it: give it a moment
    poll(lambda: not leaked(), timeout=2)
    assert leaked() == [], "copies left in the server's memory"
