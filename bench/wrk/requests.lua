-- wrk script: each request sends the next line of BODIES (one JSON body per line, split across threads
-- so no body is sent twice), or a fixed request when BODIES is unset. Prints a JSON summary at the end.
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
  exhausted = 0
  bodies = {}
  nthreads = tonumber(os.getenv("THREADS") or "1")
  local file = os.getenv("BODIES")
  if file then
    headers["Content-Type"] = "application/json"
    local n = 0
    for line in io.lines(file) do
      if n % nthreads == id then table.insert(bodies, line) end
      n = n + 1
    end
  end
  next_body = 1
  fixed = wrk.format(method, path, headers)
  template = {method = method, path = path, headers = headers}
end

function request()
  if #bodies == 0 then return fixed end
  if next_body > #bodies then exhausted = exhausted + 1; next_body = #bodies end
  local body = bodies[next_body]
  next_body = next_body + 1
  return wrk.format(template.method, template.path, template.headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  local reused = 0
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, n in pairs(s) do merged[tostring(code)] = (merged[tostring(code)] or 0) + n end
    reused = reused + thread:get("exhausted")
  end
  local parts = {}
  for code, n in pairs(merged) do table.insert(parts, string.format('"%s": %d', code, n)) end
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "errors_connect": %d, "errors_read": %d, ' ..
    '"errors_write": %d, "errors_timeout": %d, "p50_ms": %.2f, "p99_ms": %.2f, "bodies_reused": %d, ' ..
    '"statuses": {%s}}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, latency:percentile(50) / 1000, latency:percentile(99) / 1000, reused,
    table.concat(parts, ", ")))
end
