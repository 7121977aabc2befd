"""What a worker costs: a process started in its own session, its whole process tree's CPU time from a moment on,
the peaks of the tree's summed resident memory and of its summed proportional set size (sampled), and its exit's rusage, which covers every descendant it
waited for (RUSAGE_CHILDREN seen from the bench)."""
import glob
import os
import signal
import subprocess
import threading
import time

PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


def process_tree(pid):
    """The pid and every live descendant, from /proc/PID/task/*/children (children of every thread)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for path in glob.glob(f"/proc/{current}/task/*/children"):
            try:
                with open(path) as children:
                    pending.extend(int(child) for child in children.read().split())
            except OSError:
                pass
    return found


def cpu_seconds(pids):
    """user + system time of the processes, plus what each has collected from its exited children."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return total / TICKS


def process_memory(pid):
    """(name, Rss, Pss, Anonymous) bytes of a live process from /proc/PID/smaps_rollup, or None once it is gone.
    Pss counts a page shared by n processes as 1/n in each: the multi-call binary's text, mapped by every clipline
    process of a worker (and the interpreter's by every Python one), is counted once in a sum of Pss and once per
    process in a sum of Rss."""
    try:
        with open(f"/proc/{pid}/comm") as comm:
            name = comm.read().strip()
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            fields = dict(line.split(":", 1) for line in rollup.read().splitlines()[1:] if ":" in line)
    except OSError:
        return None
    kib = {key: int(fields.get(key, "0 kB").split()[0]) * 1024 for key in ("Rss", "Pss", "Anonymous")}
    return name, kib["Rss"], kib["Pss"], kib["Anonymous"]


class TreeMemory(threading.Thread):
    """Samples a process tree's memory every `interval` seconds: `peak` is the largest sum of its processes' Rss,
    `peak_pss` the largest sum of their Pss (shared pages counted once: what a cgroup is charged, near enough), and
    `at_peak` each process's (name, Rss, Pss, Anonymous) at the Pss peak, to see where it went."""

    def __init__(self, pid, interval=0.1):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak, self.peak_pss, self.at_peak = pid, interval, 0, 0, []
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            processes = [m for m in map(process_memory, process_tree(self.pid)) if m]
            self.peak = max(self.peak, sum(rss for _, rss, _, _ in processes))
            pss = sum(p for _, _, p, _ in processes)
            if pss > self.peak_pss:
                self.peak_pss, self.at_peak = pss, processes
            self.done.wait(self.interval)

    def stop(self):
        self.done.set()
        self.join(5)

    def breakdown(self):
        """The processes at the Pss peak, largest first, in MB: [[name, rss, pss, anonymous], …]."""
        return [[name, round(rss / 1e6, 1), round(pss / 1e6, 1), round(anon / 1e6, 1)]
                for name, rss, pss, anon in sorted(self.at_peak, key=lambda p: -p[2])]


class TimedOut(Exception):
    pass


class Worker:
    """A command in its own session (so the whole group can be stopped), output to a log file."""

    def __init__(self, argv, env, log_path, stdin=None):
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.process = subprocess.Popen(argv, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                        start_new_session=True)
        self.pid = self.process.pid
        self.started = time.monotonic()
        if stdin is not None:
            self.process.stdin.write(stdin)
            self.process.stdin.close()

    def alive(self):
        """Whether it still runs; does not reap it, so wait() still gets its rusage."""
        if self.process.returncode is not None:
            return False
        return os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None

    def cpu_now(self):
        return cpu_seconds(process_tree(self.pid))

    def wait(self, timeout):
        """(exit code, rusage, ended at) once the worker exits; stops the group and raises TimedOut after
        `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(self.pid, os.WNOHANG)
            if pid:
                ended = time.monotonic()
                self.process.returncode = os.waitstatus_to_exitcode(status)
                self.log.close()
                return self.process.returncode, usage, ended
            if time.monotonic() > deadline:
                self.stop()
                raise TimedOut(f"still running after {timeout:.0f} s; log: {self.log_path}")
            time.sleep(0.02)

    def stop(self):
        """TERM to the whole group, KILL after 5 s; reaps the worker."""
        if self.process.returncode is not None:
            return
        for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
                if pid:
                    self.process.returncode = os.waitstatus_to_exitcode(status)
                    self.log.close()
                    return
                time.sleep(0.05)

    def tail(self, lines=15):
        try:
            with open(self.log_path, errors="replace") as log:
                return "".join(log.readlines()[-lines:])
        except OSError:
            return ""
