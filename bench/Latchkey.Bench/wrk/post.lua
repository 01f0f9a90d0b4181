-- A static POST of LATCHKEY_WRK_BODY as JSON (the ceiling's /refresh and /hash).
wrk.method = "POST"
wrk.body = os.getenv("LATCHKEY_WRK_BODY")
wrk.headers["Content-Type"] = "application/json"

function response(status, headers, body)
   count(status)
end
