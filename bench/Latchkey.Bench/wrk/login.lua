-- Password logins, round robin over the users in LATCHKEY_WRK_DATA ("email<TAB>password" lines).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies, next = {}, 0

function init(args)
   for line in io.lines(os.getenv("LATCHKEY_WRK_DATA")) do
      local email, password = line:match("^([^\t]+)\t(.+)$")
      if email then
         table.insert(bodies, '{"handle":' .. json_string(email) .. ',"password":' .. json_string(password) .. '}')
      end
   end
   next = id
end

function request()
   next = next % #bodies + 1
   return wrk.format(nil, nil, nil, bodies[next])
end

function response(status, headers, body)
   count(status)
end
