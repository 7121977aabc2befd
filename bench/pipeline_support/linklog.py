"""The slow link's timeline for one run, from fault_proxy.py --log: MB each way per half second, and what the
requests that started in it were (bench/pipeline --link-log)."""
import collections
import urllib.parse

STEP = 0.5


def kind(method, path):
    """A request's kind: its method and the query words that say what it does (partNumber, uploads, tagging…)."""
    query = urllib.parse.urlsplit(path).query
    words = sorted(word for word in urllib.parse.parse_qs(query, keep_blank_values=True) if word != "uploadId")
    if method == "GET" and "x-id" not in words and not words:
        return "GET"
    return method + ("?" + "&".join(word for word in words if word != "x-id") if words else "")


def timeline(path, start, end):
    """Lines of the table for the link log at `path` between Unix times start and end."""
    volume = collections.defaultdict(lambda: {"up": 0, "down": 0})
    requests = collections.defaultdict(collections.Counter)
    with open(path) as log:
        for line in log:
            fields = line.split()
            if len(fields) < 3 or not start <= float(fields[0]) <= end:
                continue
            step = int((float(fields[0]) - start) / STEP)
            if fields[1] in ("up", "down"):
                volume[step][fields[1]] += int(fields[2])
            elif fields[1] == "request" and len(fields) >= 4:
                requests[step][kind(fields[2], fields[3])] += 1
    rows = ["  t s  | up MB/s | down MB/s | requests started"]
    for step in range(0, int((end - start) / STEP) + 1):
        up, down = volume[step]["up"] / STEP / 1e6, volume[step]["down"] / STEP / 1e6
        started = ", ".join(f"{count} {name}" for name, count in sorted(requests[step].items()))
        rows.append(f"{step * STEP:6.1f} | {up:7.1f} | {down:9.1f} | {started}")
    return "\n".join(rows)
