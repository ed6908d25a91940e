-- Bounded rush: every wrk thread sends exactly `quota` requests (one per connection when
-- connections == requests), then stops. Status codes are counted per thread and printed
-- as one JSON line (prefix "BENCH_JSON ") for bench/harness.py.
--
--   wrk -t T -c C -d 120s --timeout 60s -s rush.lua URL -- <requests> <kind> <fixed> <process> <T>
--
-- wrk itself always runs for its whole -d: a thread that is done prints BENCH_THREAD_DONE and
-- stops, and bench/harness.py interrupts wrk (SIGINT) once every thread is done, so the
-- summary still prints and the wall time is the time the rush really took.
--
-- body-kind "same_phone": one number (<fixed>), a different client IP per request
--           (X-Forwarded-For; the server runs with TRUST_X_FORWARDED_FOR=1)
-- body-kind "same_ip":    one client IP (<fixed>), a different number per request

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("id", thread_count)
  table.insert(threads, thread)
end

function init(args)
  total = tonumber(args[1])
  kind = args[2]
  fixed = args[3]
  process = tonumber(args[4])
  nthreads = tonumber(args[5])
  quota = math.floor(total / nthreads)
  if id <= total % nthreads then quota = quota + 1 end
  reserved = 0
  sent = 0
  received = 0
  statuses = {}
end

-- wrk calls delay() exactly once before each request: the slot is taken here, so no
-- thread ever sends more than its share, whatever order its connections run in.
function delay()
  if reserved >= quota then
    return 3600000 -- this thread has sent its share: never send again (the run is bounded)
  end
  reserved = reserved + 1
  return 0
end

-- (wrk also calls request() once before the run, to check it: `sent` is not a count)
function request()
  sent = sent + 1
  local n = (process * 16 + id) * 100000 + sent -- unique across processes and threads
  local headers = {["Content-Type"] = "application/json"}
  local phone
  if kind == "same_phone" then
    phone = fixed
    headers["X-Forwarded-For"] = string.format("10.%d.%d.%d",
      math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
  else
    phone = string.format("139%08d", n % 100000000)
    headers["X-Forwarded-For"] = fixed
  end
  return wrk.format("POST", nil, headers, '{"phone":"' .. phone .. '"}')
end

function response(status, headers, body)
  received = received + 1
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if received == quota then
    io.write("BENCH_THREAD_DONE\n")
    io.flush()
    wrk.thread:stop()
  end
end

done = function(summary, latency, requests)
  local merged = {}
  local sent_total = 0
  for _, thread in ipairs(threads) do
    sent_total = sent_total + thread:get("reserved")
    for status, count in pairs(thread:get("statuses")) do
      merged[status] = (merged[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(merged) do
    table.insert(parts, string.format('"%s":%d', status, count))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"sent":%d,"duration_us":%d,"bytes":%d,"statuses":{%s},' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,' ..
    '"p50":%d,"p90":%d,"p95":%d,"p99":%d,"p999":%d}}\n',
    summary.requests, sent_total, summary.duration, summary.bytes, table.concat(parts, ","),
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency:percentile(99.9)))
end
