# SPDX-License-Identifier: MIT
"""The test clock (JETON_TEST_CLOCK, util/time.h): tests move time instead of
sleeping, and a production start refuses it."""
from conftest import describe, free_port, run_jeton


def test_a_token_expires_when_the_clock_passes_its_date(server):
    token = server.create_token("admin@localhost", expires="1d")
    assert server.token_works(token)
    server.advance(86400 + 60)
    r = server.get("/v1/me", token=token)
    assert r.status_code == 401, describe(r)
    assert "expired" in r.json()["error_description"]


def test_a_server_that_listens_beyond_loopback_refuses_the_test_clock(tmp_path):
    clock = tmp_path / "clock"
    clock.write_text("0\n")
    p = run_jeton("serve", "--db", tmp_path / "j.db", "--listen", f"0.0.0.0:{free_port()}",
                  env={"JETON_TEST_CLOCK": str(clock)}, timeout=10)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "JETON_TEST_CLOCK is for tests" in p.stderr


def test_a_clock_file_others_may_write_is_refused(tmp_path):
    clock = tmp_path / "clock"
    clock.write_text("0\n")
    clock.chmod(0o666)
    p = run_jeton("version", env={"JETON_TEST_CLOCK": str(clock)})
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "JETON_TEST_CLOCK" in p.stderr
