#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Instructions per request of a jeton running under callgrind.

usage: instr_client.py PORT PID OUTDIR N KIND=METHOD,PATH,AUTH[,BODY] ...

For each KIND, on one keep-alive connection: WARM requests (N / 10, at
least 50), then callgrind's counters are zeroed (callgrind_control -z PID),
N requests are sent, and the counters are dumped (callgrind_control -d).
Every answer must be 2xx. Prints "KIND DUMPFILE" a line, for the caller to
read the totals from; the dump holds every thread of the server, so what
the idle threads do during the N requests is counted too (a little).
"""
import glob
import os
import socket
import subprocess
import sys
import time


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def request_bytes(method, path, auth, body):
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if auth:
        head += f"Authorization: {auth}\r\n"
    if body is not None:
        kind = "application/json" if body.startswith("{") else \
            "application/x-www-form-urlencoded"
        head += f"Content-Type: {kind}\r\n"
        head += f"Content-Length: {len(body)}\r\n"
    return (head + "\r\n" + (body or "")).encode()


def read_response(s, buf):
    """Reads one response; returns (status, rest of buf)."""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise OSError("connection closed")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            raise OSError("connection closed")
        rest += chunk
    return status, rest[length:]


def run(s, req, n):
    buf = b""
    for _ in range(n):
        s.sendall(req)
        status, buf = read_response(s, buf)
        if status // 100 != 2:
            sys.exit(f"instr_client: answer {status}")


def dumps(outdir, pid):
    return set(glob.glob(os.path.join(outdir, f"callgrind.out.{pid}.*")))


def main():
    port, pid, outdir, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    warm = max(50, n // 10)
    for spec in sys.argv[5:]:
        kind, _, rest = spec.partition("=")
        parts = rest.split(",", 3)
        method, path, auth = parts[0], parts[1], parts[2]
        body = parts[3] if len(parts) > 3 else None
        req = request_bytes(method, path, auth, body)
        s = connect(port)
        run(s, req, warm)
        before = dumps(outdir, pid)
        subprocess.run(["callgrind_control", "-z", pid], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        run(s, req, n)
        subprocess.run(["callgrind_control", "-d", kind, pid], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        s.close()
        deadline = time.monotonic() + 30
        while not (dumps(outdir, pid) - before) and time.monotonic() < deadline:
            time.sleep(0.05)
        new = sorted(dumps(outdir, pid) - before)
        if not new:
            sys.exit(f"instr_client: no dump for {kind}")
        print(kind, new[-1], flush=True)


if __name__ == "__main__":
    main()
