-- Prepended to every phase script by Wrk.cs. Gives each thread an id, counts statuses where a
-- phase defines response(), and prints one line the benchmark parses:
--   LATCHKEY_WRK {"requests":...,"codes":{"200":...}}
-- Phase scripts may define finish() (main state, after the run) to save what the threads kept.
wrk_threads = {}
statuses = {}

function setup(thread)
   table.insert(wrk_threads, thread)
   thread:set("id", #wrk_threads)
end

function count(status)
   statuses[status] = (statuses[status] or 0) + 1
end

-- Lines of a file that belong to this thread: line i goes to thread (i mod threads) + 1.
function my_lines(path)
   local threads = tonumber(os.getenv("LATCHKEY_WRK_THREADS"))
   local mine, i = {}, 0
   for line in io.lines(path) do
      if line ~= "" then
         if i % threads == id - 1 then table.insert(mine, line) end
         i = i + 1
      end
   end
   return mine
end

function json_string(s)
   return '"' .. s:gsub('\\', '\\\\'):gsub('"', '\\"') .. '"'
end

function done(summary, latency, requests)
   local totals = {}
   for _, thread in ipairs(wrk_threads) do
      for code, n in pairs(thread:get("statuses") or {}) do
         totals[code] = (totals[code] or 0) + n
      end
   end
   local codes = {}
   for code, n in pairs(totals) do table.insert(codes, string.format('"%d":%d', code, n)) end
   local e = summary.errors
   io.write(string.format(
      'LATCHKEY_WRK {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
      '"p50_us":%.0f,"p99_us":%.0f,"max_us":%.0f,"codes":{%s}}\n',
      summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(99), latency.max, table.concat(codes, ",")))
   if finish then finish() end
end

-- Writes every thread's `tokens` table to LATCHKEY_WRK_OUT, one a line (refresh chains for the next phase).
function save_tokens()
   local out = assert(io.open(os.getenv("LATCHKEY_WRK_OUT"), "w"))
   for _, thread in ipairs(wrk_threads) do
      for _, token in ipairs(thread:get("tokens") or {}) do out:write(token, "\n") end
   end
   out:close()
end
