-- The term benchmark's readers (bench/readers.py): wrk with the request's headers from the
-- environment (a bearer token never shows in the process list), and one JSON line when done.
--
-- A request that failed without an answer (a timeout, a socket error) has no latency in wrk's
-- statistics: the percentiles below count it as slower than every answered one, and say so
-- with -1 (the caller puts the client's timeout there). An answer with an error status (4xx,
-- 5xx) is in the statistics with the time it took.

local authorization = os.getenv("XUNCHA_BENCH_AUTHORIZATION")
if authorization and authorization ~= "" then
    wrk.headers["Authorization"] = authorization
end
-- what a browser sends (nginx in front compresses for it, as for the workbench)
wrk.headers["Accept-Encoding"] = "gzip, deflate"

local function percentile(latency, answered, failed, q)
    local total = answered + failed
    if total == 0 then
        return -1
    end
    local rank = math.ceil(q / 100 * total)
    if rank > answered then
        return -1
    end
    if rank == answered then -- wrk's percentile(100) is not the largest
        return latency.max
    end
    return latency:percentile(100 * rank / answered)
end

done = function(summary, latency, requests)
    local e = summary.errors
    local failed = e.connect + e.read + e.write + e.timeout
    local answered = summary.requests
    io.write(string.format(
        '{"answered": %d, "failed": %d, "status_errors": %d, "timeouts": %d, '
            .. '"duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\n',
        answered, failed, e.status, e.timeout, summary.duration,
        percentile(latency, answered, failed, 50), percentile(latency, answered, failed, 99),
        latency.max
    ))
end
