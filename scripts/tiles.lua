-- wrk script: request the tiles of $TILES in turn through the path template $TILE_PATH ({z}/{x}/{y}),
-- and report status counts at the end.
local tiles, i, counts = {}, 0, {}
for line in io.lines(os.getenv("TILES")) do tiles[#tiles + 1] = line end
local template = os.getenv("TILE_PATH")

request = function()
  i = i % #tiles + 1
  local z, x, y = tiles[i]:match("(%d+)/(%d+)/(%d+)")
  local path = template:gsub("{z}", z):gsub("{x}", x):gsub("{y}", y)
  return wrk.format("GET", path)
end

response = function(status) counts[status] = (counts[status] or 0) + 1 end

done = function(summary, latency, requests)
  io.write(string.format("RESULT req_per_s=%.0f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f requests=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
