# SPDX-License-Identifier: MIT
"""The largest request head jeton promises to serve (docs/api.md): the longest URL (2 KiB)
with 8 KiB of headers in 200 lines. The HTTP library's memory per connection is sized to
that and no larger, since the library zeroes all of it for every request (issue 13)."""
from conftest import raw_exchange

URL_BYTES = 2048
HEADER_BYTES = 8192
LINES = 200


def _head(port):
    target = "/v1/ping?pad=" + "a" * (URL_BYTES - len("/v1/ping?pad="))
    fixed = [("Host", f"127.0.0.1:{port}"), ("Connection", "close")]
    # jeton counts a header as name + value + 4 (": " and CRLF)
    left = HEADER_BYTES - sum(len(k) + len(v) + 4 for k, v in fixed)
    pads = []
    for i in range(LINES - len(fixed)):
        name = f"X-Pad-{i}"
        share = left // (LINES - len(fixed) - i)
        pads.append((name, "v" * (share - len(name) - 4)))
        left -= share
    headers = fixed + pads
    assert len(headers) == LINES and sum(len(k) + len(v) + 4 for k, v in headers) == HEADER_BYTES
    return (f"GET {target} HTTP/1.1\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode()


def test_longest_url_with_8_kib_of_headers_in_200_lines_is_served(server):
    resp = raw_exchange(server.port, _head(server.port))
    assert resp is not None, "connection closed without a response"
    assert resp[0] == 200, resp[:2]
