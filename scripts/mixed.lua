-- wrk script for one kind of request of the mixed load: the lines of $REQUESTS ("GET path" or
-- "POST path json") in turn, with the key in $KEY; reports latency and statuses (429 apart) at the end.
local lines, i = {}, 0
-- Per-thread status counters (numbers: wrk copies only plain values between threads).
ok_n, limited_n, other_n = 0, 0, 0
for line in io.lines(os.getenv("REQUESTS")) do lines[#lines + 1] = line end
local key, name = os.getenv("KEY"), os.getenv("NAME")
local thread_counts = {}

setup = function(thread) table.insert(thread_counts, thread) end


request = function()
  i = i % #lines + 1
  local method, path, body = lines[i]:match("^(%u+) (%S+) ?(.*)$")
  local headers = {["Authorization"] = "Bearer " .. key}
  if body ~= nil and body ~= "" then headers["Content-Type"] = "application/json" else body = nil end
  return wrk.format(method, path, headers, body)
end

response = function(status)
  if status < 400 then ok_n = ok_n + 1 elseif status == 429 then limited_n = limited_n + 1 else other_n = other_n + 1 end
end

done = function(summary, latency, requests)
  local ok, limited, other = 0, 0, 0
  for _, t in ipairs(thread_counts) do
    ok = ok + t:get("ok_n"); limited = limited + t:get("limited_n"); other = other + t:get("other_n")
  end
  io.write(string.format("RESULT %s req_per_s=%.1f p50_ms=%.1f p99_ms=%.1f max_ms=%.1f requests=%d ok=%d limited_429=%d errors=%d\n",
    name, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests, ok, limited,
    other + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
