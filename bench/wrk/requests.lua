-- wrk script: each request sends the next unused line of BODIES (one JSON body per line, split across
-- threads so no body is sent twice), or a fixed request when BODIES is unset. A thread whose bodies run
-- out stops (it never wraps around or repeats a body) and counts the requests it could not send, so
-- the run is refused. Prints a JSON summary at the end: requests sent, bodies loaded, exhausted, and
-- a status histogram, summed over the threads.
-- env: METHOD, REQ_PATH, BODIES (file), THREADS (= wrk -t), AUTH (header value), IF_NONE_MATCH
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local method = os.getenv("METHOD") or "GET"
  local path = os.getenv("REQ_PATH") or "/"
  local headers = {}
  if os.getenv("AUTH") then headers["Authorization"] = os.getenv("AUTH") end
  if os.getenv("IF_NONE_MATCH") then headers["If-None-Match"] = os.getenv("IF_NONE_MATCH") end
  statuses = {}
  sent = 0
  exhausted = 0
  stopping = false
  bodies = {}
  with_bodies = false
  nthreads = tonumber(os.getenv("THREADS") or "1")
  local file = os.getenv("BODIES")
  if file then
    with_bodies = true
    headers["Content-Type"] = "application/json"
    local n = 0
    for line in io.lines(file) do
      if n % nthreads == id then table.insert(bodies, line) end
      n = n + 1
    end
  end
  loaded = #bodies
  next_body = 1
  fixed = wrk.format(method, path, headers)
  -- What a thread hands wrk once its bodies are gone: no body, a path no app serves. The thread is
  -- already stopping, and the run is refused because `exhausted` > 0.
  spent = wrk.format("GET", "/__bench_bodies_exhausted", {})
  template = {method = method, path = path, headers = headers}
end

function request()
  if not with_bodies then
    sent = sent + 1
    return fixed
  end
  if next_body > loaded then  -- not #bodies: the sent ones are nil, and # of a table with holes is any border
    exhausted = exhausted + 1
    stopping = true
    wrk.thread:stop()
    return spent
  end
  local body = bodies[next_body]
  bodies[next_body] = nil  -- sent once: nothing can send it again
  next_body = next_body + 1
  sent = sent + 1
  return wrk.format(template.method, template.path, template.headers, body)
end

function response(status, headers, body)
  -- Once stopping, an answer may be the spent request's 404: the histogram keeps only real ones.
  if stopping then return end
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  local total_sent, total_loaded, total_exhausted = 0, 0, 0
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, n in pairs(s) do merged[tostring(code)] = (merged[tostring(code)] or 0) + n end
    total_sent = total_sent + thread:get("sent")
    total_loaded = total_loaded + thread:get("loaded")
    total_exhausted = total_exhausted + thread:get("exhausted")
  end
  local parts = {}
  for code, n in pairs(merged) do table.insert(parts, string.format('"%s": %d', code, n)) end
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "errors_connect": %d, "errors_read": %d, ' ..
    '"errors_write": %d, "errors_timeout": %d, "p50_ms": %.2f, "p99_ms": %.2f, "sent": %d, ' ..
    '"bodies_loaded": %d, "exhausted": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, latency:percentile(50) / 1000, latency:percentile(99) / 1000, total_sent,
    total_loaded, total_exhausted, table.concat(parts, ", ")))
end
