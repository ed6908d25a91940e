-- Load for bench/run.py: every request comes from another client address (X-Forwarded-For,
-- a pool of 65,536 per wrk thread; the bench server trusts the header, as production does
-- behind nginx), so per-address rate limits see many visitors, as they would in production.
-- Prints wrk's summary as one JSON line (prefix "BENCH_JSON ") for bench/harness.py.
-- Latencies are in microseconds; percentiles come from wrk's own HdrHistogram.
-- With the argument "uncached" every request carries a session cookie (of no session), so
-- the shared cache of anonymous answers (core/pagecache.py) is bypassed: each request does
-- the view's whole work, as a miss does.

local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("id", thread_count)
end

function init(args)
  counter = 0
  uncached = args[1] == "uncached"
end

function request()
  counter = counter + 1
  local n = counter % 65536
  local address = string.format("10.%d.%d.%d", id % 256, math.floor(n / 256), n % 256)
  local headers = {["X-Forwarded-For"] = address}
  if uncached then
    headers["Cookie"] = "sessionid=bench-uncached"
  end
  return wrk.format(nil, nil, headers)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,' ..
    '"p50":%d,"p90":%d,"p95":%d,"p99":%d,"p999":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency:percentile(99.9)))
end
