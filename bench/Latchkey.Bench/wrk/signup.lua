-- Sign-ups of new addresses (LATCHKEY_WRK_RUN keeps runs apart); keeps each new session's refresh
-- token for the refresh phase.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
tokens = {}
local run, n = os.getenv("LATCHKEY_WRK_RUN"), 0

function request()
   n = n + 1
   local body = string.format('{"email":"%s-%d-%d@bench.example","password":"bench-passphrase-%s-%d-%d"}', run, id, n, run, id, n)
   return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
   count(status)
   if status == 200 then
      local token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
      if token then table.insert(tokens, token) end
   end
end

finish = save_tokens
