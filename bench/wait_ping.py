#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Poll GET /v1/ping until it answers 200; print the wall-clock time of that answer.

usage: wait_ping.py PORT READY_FILE [TIMEOUT_S]

Touches READY_FILE once the interpreter is loaded, so the caller can start
the server only then and the interpreter's own start-up is not counted.
Polls every millisecond; prints time.time() (seconds, float) on success,
exits 1 after TIMEOUT_S (default 30) seconds without one.
"""
import http.client
import sys
import time


def main():
    port, ready = int(sys.argv[1]), sys.argv[2]
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 30.0
    open(ready, "w").close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/v1/ping")
            r = c.getresponse()
            r.read()
            c.close()
            if r.status == 200:
                print(f"{time.time():.6f}")
                return
        except OSError:
            pass
        except http.client.HTTPException:
            pass
        time.sleep(0.001)
    sys.exit(1)


if __name__ == "__main__":
    main()
