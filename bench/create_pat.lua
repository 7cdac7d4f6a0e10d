-- SPDX-License-Identifier: MIT
-- wrk script: create personal access tokens.
-- The token goes on the command line: -H "Authorization: Bearer jtp_..."
wrk.method = "POST"
wrk.path = "/v1/users/me/access_tokens"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"name":"b","scopes":["read_content"]}'
