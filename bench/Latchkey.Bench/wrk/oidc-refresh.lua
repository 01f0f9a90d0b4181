-- Refresh chains of an OpenID Connect client at the provider's token endpoint (X1): as
-- refresh.lua, with the form body of RFC 6749 §6 and the client's id.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
tokens = {}
client_id = os.getenv("LATCHKEY_WRK_CLIENT_ID")

function init(args)
   tokens = my_lines(os.getenv("LATCHKEY_WRK_DATA"))
end

function request()
   local token = table.remove(tokens, 1) or "no-unused-refresh-token-left"
   return wrk.format(nil, nil, nil, "grant_type=refresh_token&client_id=" .. client_id .. "&refresh_token=" .. token)
end

function response(status, headers, body)
   count(status)
   if status == 200 then
      local token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
      if token then table.insert(tokens, token) end
   end
end

finish = save_tokens
