"""bench/pipeline --per-process: every tool a worker starts runs under a small wrapper that records its CPU
(wait4's rusage of the tool, microseconds), so a run's client CPU splits by tool. A tool started by another tool
(chunk's own helper process in older builds) is taken out of its parent's figure. amqp-consume's rusage holds its
handlers' bash and everything they start, so it is not shown: what is left of the client CPU is amqp-consume, bash
and the wrappers themselves (a Python start-up each, ~10–20 ms), which also add to the total."""
import os
import statistics
import sys

SHOWN = ["chunk", "blob-put", "blob-get", "gql-mutate", "record-shape", "amqp-pub", "kvs-clip", "kvs-clip-media"]

WRAPPER = """#!{python} -S
import os, signal, sys
real, log = {real!r}, {log!r}
child = os.fork()
if child == 0:
    os.execv(real, [real] + sys.argv[1:])
for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(sig, lambda *_: None)  # the tool gets its group's signals itself
while True:
    try:
        _, status, usage = os.wait4(child, 0)
        break
    except ChildProcessError:
        sys.exit(1)
    except InterruptedError:
        continue
with open(log, "a") as out:
    out.write(f"{tool} {{child}} {{os.getppid()}} {{usage.ru_utime:.6f}} {{usage.ru_stime:.6f}}\\n")
if os.WIFSIGNALED(status):
    signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
    os.kill(os.getpid(), os.WTERMSIG(status))
sys.exit(os.WEXITSTATUS(status))
"""


def wrap(bin_dir, into, log, tools):
    """A directory of wrappers, one per tool of `bin_dir`, appending `TOOL PID PARENT USER SYSTEM` to `log` as
    each exits (PID the tool's, PARENT the process that started its wrapper)."""
    os.makedirs(into, exist_ok=True)
    for tool in tools:
        path = os.path.join(into, tool)
        with open(path, "w") as out:
            out.write(WRAPPER.format(python=sys.executable, real=os.path.join(bin_dir, tool), log=log, tool=tool))
        os.chmod(path, 0o755)
    return into


def take(log):
    """{tool: [user s, system s, processes]} of what the log holds, which is then emptied for the next run."""
    processes = []
    if os.path.exists(log):
        with open(log) as lines:
            processes = [(tool, int(pid), int(parent), float(user), float(system))
                         for tool, pid, parent, user, system in (line.split() for line in lines)]
        os.remove(log)
    tools = {}
    for tool, pid, _, user, system in processes:
        # A tool's rusage holds the tools it started and waited for: theirs are taken out.
        started = [p for p in processes if p[2] == pid]
        entry = tools.setdefault(tool, [0.0, 0.0, 0])
        entry[0] += user - sum(p[3] for p in started)
        entry[1] += system - sum(p[4] for p in started)
        entry[2] += 1
    return tools


def table(results, labels, variant_names):
    """Per variant measured with wrappers: each tool's median user, system and processes per run, then the rest."""
    lines = ["| mode | variant | process | processes | user s | system s | user + system s |",
             "|---|---|---|---:|---:|---:|---:|"]
    for (mode, variant), samples in results.items():
        measured = [s for s in samples if s.get("tools")]
        if not measured:
            continue
        name = labels.get((mode, variant)) or variant_names[variant]
        for tool in [tool for tool in SHOWN if any(tool in s["tools"] for s in measured)]:
            rows = [s["tools"].get(tool, [0.0, 0.0, 0]) for s in measured]
            user, system = statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)
            lines.append(f"| {mode} | {name} | {tool} | {statistics.median(r[2] for r in rows):.0f} | {user:.3f} | "
                         f"{system:.3f} | {statistics.median(r[0] + r[1] for r in rows):.3f} |")
        rest = statistics.median(s["cpu"] - sum(u + t for tool, (u, t, _) in s["tools"].items() if tool in SHOWN)
                                 for s in measured)
        lines.append(f"| {mode} | {name} | the rest (amqp-consume, bash, the wrappers) | | | | {rest:.3f} |")
    return "\n".join(lines)
