-- wrk -s: counts the X-App-Version of every response, so a run shows which versions answered.
-- Each wrk thread has its own Lua state; done() runs in the main one and reads each thread's
-- table. One line per thread and version, "X-App-Version V: N" (LoadResult.FromWrk sums them).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  versions = {}
end

function response(status, headers, body)
  local version = headers["X-App-Version"] or headers["x-app-version"] or "(none)"
  versions[version] = (versions[version] or 0) + 1
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for version, count in pairs(thread:get("versions")) do
      io.write(string.format("X-App-Version %s: %d\n", version, count))
    end
  end
end
