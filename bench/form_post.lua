-- SPDX-License-Identifier: MIT
-- wrk script: the same form-encoded POST every time.
-- usage: wrk ... -s form_post.lua -H "Authorization: Basic ..." URL -- BODY
-- (e.g. BODY = grant_type=client_credentials, or token=jtc_... for /oauth/introspect)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

-- wrk.init calls this, then formats the one request that every connection sends
function init(args)
	wrk.body = args[1] or ""
end
