-- Refresh chains: each thread takes its share of the unused refresh tokens in LATCHKEY_WRK_DATA,
-- presents one per request and keeps the successor the answer carries (a token is never
-- presented twice). wrk answers a connection's response() before its next request(), so with
-- more tokens than connections there is always one free. What is left goes to LATCHKEY_WRK_OUT.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
tokens = {}

function init(args)
   tokens = my_lines(os.getenv("LATCHKEY_WRK_DATA"))
end

function request()
   local token = table.remove(tokens, 1) or "no-unused-refresh-token-left"
   return wrk.format(nil, nil, nil, '{"refresh_token":"' .. token .. '"}')
end

function response(status, headers, body)
   count(status)
   if status == 200 then
      local token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
      if token then table.insert(tokens, token) end
   end
end

finish = save_tokens
