"""What bench/live runs its phases on: the loopback services (started with scripts/services under a temporary
CLIPLINE_SERVICES_DIR), camera streams (ffmpeg sending a cached 720p30 H.264 + AAC source with 1 s GOPs, looped and
stream-copied, into the KVS testbed's PutMedia in real time), processes whose stdout lines are timestamped as they
arrive, and the testbed's own record of when each fragment arrived whole."""
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench", "pipeline_support"))

from measure import TreeMemory, cpu_seconds, process_tree  # noqa: E402,F401

CACHE = "/tmp/clipline-bench-live"


def camera_source(width=1280, height=720, fps=30, seconds=60):
    """The camera's picture: a cached 720p30 H.264 + AAC Matroska file, a keyframe every second (1 s fragments)."""
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, f"camera_{width}x{height}_{fps}fps_{seconds}s.mkv")
    if not os.path.exists(path):
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={fps}",
             "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", str(seconds), "-c:v", "libx264",
             "-preset", "veryfast", "-g", str(fps), "-keyint_min", str(fps), "-sc_threshold", "0", "-bf", "0",
             "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", path + ".tmp.mkv"], check=True)
        os.rename(path + ".tmp.mkv", path)
    return path


class Services:
    """scripts/services under a directory of its own; `env` holds what they printed."""

    def __init__(self, names, work):
        self.directory = os.path.join(work, "services")
        os.makedirs(self.directory, exist_ok=True)
        env = dict(os.environ, CLIPLINE_SERVICES_DIR=self.directory)
        output = subprocess.run([os.path.join(ROOT, "scripts", "services"), "start", *names], env=env,
                                check=True, capture_output=True, text=True).stdout
        self.env = dict(line.split("=", 1) for line in output.splitlines() if "=" in line)
        self.kvs = self.env["AWS_ENDPOINT_URL_KINESIS_VIDEO"]

    def stop(self):
        subprocess.run([os.path.join(ROOT, "scripts", "services"), "stop"],
                       env=dict(os.environ, CLIPLINE_SERVICES_DIR=self.directory), capture_output=True)

    def control(self, path, body=None):
        data = json.dumps(body or {}).encode() if body is not None else None
        request = urllib.request.Request(self.kvs + "/_clipline/" + path, data=data, method="POST" if data else "GET")
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read() or b"{}")

    def create_streams(self, prefix, count):
        arns = self.control("streams", {"prefix": prefix, "count": count, "retention_hours": 24})["StreamARNs"]
        return [f"{prefix}{index:05d}" for index in range(count)], arns

    def getclip_remux_cpu(self):
        """CPU seconds of the testbed's exited children (cutime + cstime): the ffmpeg it runs per GetClip to remux
        fragments into an MP4 (the work AWS does on its side, which kvs-follow does itself); nothing else while a
        phase runs."""
        with open(os.path.join(self.directory, "kvs", "kvs.pid")) as pid, open(f"/proc/{int(pid.read())}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")

    def pin_testbed(self, cpus):
        """Moves every thread of the KVS testbed onto `cpus`."""
        with open(os.path.join(self.directory, "kvs", "kvs.pid")) as pid:
            subprocess.run(["taskset", "-a", "-p", "-c", ",".join(map(str, sorted(cpus))), pid.read().strip()],
                           check=True, capture_output=True)

    def fragments(self, stream):
        """The testbed's fragments of `stream`: number, server time, when it arrived whole (wall clock)."""
        answer = self.control("media/fragments?stream=" + stream)
        return {fragment["number"]: fragment for fragment in answer["Fragments"]}


def pinned(cpus):
    """The prefix that runs a command (and every thread it makes) on `cpus` only; none when there is no choice."""
    return ["taskset", "-c", ",".join(map(str, sorted(cpus)))] if cpus else []


def follower_cpus():
    """Where the scale phase pins the follower, and where the cameras and the testbed go: on a machine of two or
    more CPUs the last one is the follower's, the rest theirs (their CPU is not the follower's, and on a loaded
    machine they would otherwise make its records late). (None, None) on one CPU."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, None
    return {cpus[-1]}, set(cpus[:-1])


class Camera:
    """ffmpeg sending `source` in real time, looped, into PutMedia of `stream`."""

    def __init__(self, services, stream, source, log, cpus=None):
        self.stream = stream
        self.process = subprocess.Popen(
            pinned(cpus) + ["ffmpeg", "-v", "error", "-nostdin", "-re", "-stream_loop", "-1", "-i", source, "-map", "0",
             "-c", "copy", "-f", "matroska", "-cluster_time_limit", "100", "-method", "POST",
             "-headers", f"x-amzn-stream-name: {stream}\r\n", services.kvs + "/putMedia"],
            stdout=subprocess.DEVNULL, stderr=open(log, "ab"), start_new_session=True)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Lines(threading.Thread):
    """A process (in a session of its own, stderr to `log`) whose stdout lines are kept with the wall-clock time
    each arrived; CPU and peak resident memory of its process tree are measured."""

    def __init__(self, argv, env, log, stdin=None, memory=False):
        super().__init__(daemon=True)
        self.argv, self.env, self.log = argv, env, log
        self.lines = []  # (time.time(), parsed JSON)
        self.process = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=open(log, "ab"),
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL, start_new_session=True)
        if stdin is not None:
            self.process.stdin.write(stdin.encode())
            self.process.stdin.flush()
        self.cpu_at_start = 0.0
        self.memory = TreeMemory(self.process.pid) if memory else None
        if self.memory:
            self.memory.start()
        self.start()

    def run(self):
        for raw in self.process.stdout:
            try:
                self.lines.append((time.time(), json.loads(raw)))
            except ValueError:
                pass

    def cpu(self):
        return cpu_seconds(process_tree(self.process.pid))

    def stop(self, signal_name="TERM", timeout=10):
        """SIGTERM (or SIGKILL) to its session; returns the CPU seconds its tree used."""
        used = self.cpu()
        if self.process.poll() is None:
            os.killpg(self.process.pid, 9 if signal_name == "KILL" else 15)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()
        self.join(5)
        if self.memory:
            self.memory.stop()
        return used


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[position]


def summary(values):
    """'p50 / p95 (max)' in seconds."""
    if not values:
        return "none"
    return f"{percentile(values, 0.5):.2f} / {percentile(values, 0.95):.2f} ({max(values):.2f})"


def rfc3339_seconds(text):
    import datetime
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
