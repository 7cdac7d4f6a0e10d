# SPDX-License-Identifier: MIT
"""Slow clients cannot hold the server: a request head has 10 s in all (a byte now and then does
not extend it), and when slow connections take nearly every slot, each new connection closes
the one that has waited longest for its client, so a normal client is still served at once.

test_slow_trickling_head_is_closed_by_the_deadline waits the real 10 s deadline (about 11 s);
deselect it with -k "not trickling" when in a hurry."""
import socket
import time

import pytest
import requests

from conftest import HTTP_TIMEOUT, describe

HEAD_DEADLINE = 10.0     # LIMIT_HEAD_SECONDS
SLOTS = 4096             # LIMIT_CONNECTIONS
PER_ADDRESS = 1024       # LIMIT_CONNECTIONS_PER_IP


def _closed(sock, wait):
    """True if the server closed sock (end of stream or reset) within wait seconds."""
    sock.settimeout(wait)
    try:
        return sock.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


@pytest.mark.long
def test_slow_trickling_head_is_closed_by_the_deadline(server):
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=HTTP_TIMEOUT)
    start = time.monotonic()
    closed_after = None
    try:
        sock.sendall(b"GET /v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        while time.monotonic() - start < HEAD_DEADLINE + 3:
            try:
                sock.sendall(b"a")            # one byte every 200 ms: never idle
            except OSError:
                closed_after = time.monotonic() - start
                break
            if _closed(sock, 0.2):
                closed_after = time.monotonic() - start
                break
    finally:
        sock.close()
    assert closed_after is not None, f"a trickling request head was still open after " \
                                     f"{HEAD_DEADLINE + 3:.0f} s"
    assert HEAD_DEADLINE - 0.5 <= closed_after <= HEAD_DEADLINE + 2, closed_after


def test_complete_request_sent_slowly_within_the_deadline_is_served(server):
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=HTTP_TIMEOUT)
    try:
        for byte in b"GET /v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n":
            sock.sendall(bytes([byte]))
            time.sleep(0.01)
        assert sock.recv(64).startswith(b"HTTP/1.1 200")
    finally:
        sock.close()


@pytest.mark.alone      # 4,096 sockets, then a deadline: not beside other tests' load
def test_new_clients_are_served_while_slow_connections_take_every_slot(server):
    """4 addresses x 1,024 connections (the per-address limit) that send half a request head
    and stop: 127.0.0.2-5 are loopback addresses too."""
    held = []
    try:
        deadline = time.monotonic() + 8.0
        for address in range(2, 2 + SLOTS // PER_ADDRESS):
            for _ in range(PER_ADDRESS):
                if time.monotonic() > deadline:
                    break
                try:
                    s = socket.create_connection(("127.0.0.1", server.port), timeout=0.5,
                                                 source_address=(f"127.0.0.{address}", 0))
                    s.sendall(b"GET /v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                    held.append(s)
                except OSError:
                    pass                         # shed already, or refused: either way, slow
        assert len(held) > SLOTS - 256, f"only {len(held)} slow connections were opened"
        t0 = time.monotonic()
        r = requests.get(server.url + "/v1/ping", timeout=3.0)
        assert r.status_code == 200, describe(r)
        assert time.monotonic() - t0 < 2.0
    finally:
        for s in held:
            s.close()
