"""bench/live's phases: each starts what it measures on the rig (live_rig.py), runs for whole windows, and returns
the rows of its table. Latencies are wall-clock seconds: from a window's end, and from the moment the testbed had the
window's last fragment whole, to the record on stdout or the message on the queue."""
import json
import os
import random
import subprocess
import sys
import threading
import time

from live_rig import (HERE, ROOT, Camera, Lines, camera_source, follower_cpus, percentile, pinned, rfc3339_seconds,
                      summary)

sys.path.insert(0, os.path.join(ROOT, "bench", "pipeline_support"))
from rabbit import Broker, Watcher  # noqa: E402

WINDOW = 10
DELAY = 2  # what the timer of the scheduled and the Python ways waits past a window's end: one fragment, and a second


def tool_env(services, bin_dir):
    env = dict(os.environ, PATH=bin_dir + ":" + os.environ.get("PATH", "/usr/bin:/bin"))
    env.update(services.env)
    env.update({
        "AWS_ACCESS_KEY_ID": services.env["CLIPLINE_TEST_S3_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": services.env["CLIPLINE_TEST_S3_SECRET_ACCESS_KEY"],
        "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true", "VIDEO_STORE": "s3://spectra-videos",
        "CACHE_STORE": "s3:/", "HOME": os.environ.get("HOME", "/root")})
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "CLIPLINE_WORK_DIR"):
        env.pop(name, None)
    return env


def last_fragment_done(fragments, end):
    """When the testbed had the last fragment that starts before `end` (server clock) whole."""
    before = [f for f in fragments.values() if f["server"] < end and f.get("completed_at")]
    return max(before, key=lambda f: f["server"])["completed_at"] if before else None


def window_start_from_key(url):
    name = url.rsplit("/", 1)[-1].removesuffix(".mp4")
    date, _, clock = name.partition("T")
    return rfc3339_seconds(date + "T" + clock.replace("-", ":"))


def latencies(arrivals, fragments, window_end_of):
    """(from the window's end, from its last fragment) for each arrival whose window is known."""
    from_end, from_fragment = [], []
    for arrived, body in arrivals:
        end = window_end_of(body)
        done = last_fragment_done(fragments, end)
        from_end.append(arrived - end)
        if done:
            from_fragment.append(arrived - done)
    return from_end, from_fragment


class Timer(threading.Thread):
    """Runs the scheduled way's scheduler at each window's end plus DELAY, as cron would; sums its CPU."""

    def __init__(self, env, windows, log):
        super().__init__(daemon=True)
        self.env, self.windows, self.log, self.cpu = env, windows, log, 0.0

    def run(self):
        end = (time.time() // WINDOW + 1) * WINDOW
        for _ in range(self.windows):
            time.sleep(max(0.0, end + DELAY - time.time()))
            before = os.times()
            subprocess.run(["bash", "-c", f"kvs-discover --no-cache --window {WINDOW}s --delay {DELAY}s "
                            "--process-id 501 | amqp-pub --queue S2_PROCESSING_QUEUE --dlq S2_PROCESSING_DLQ "
                            "--declare"], env=self.env, stdout=subprocess.DEVNULL, stderr=open(self.log, "ab"))
            after = os.times()
            self.cpu += (after.children_user - before.children_user) + (after.children_system -
                                                                         before.children_system)
            end += WINDOW


def latency(services, bin_dir, work, windows):
    """One camera, four ways at once on its stream, for `windows` windows of WINDOW seconds."""
    env = tool_env(services, bin_dir)
    names, _ = services.create_streams("bench-live-", 1)
    camera = Camera(services, names[0], camera_source(), os.path.join(work, "camera.log"))
    broker = Broker(env["AMQP_URL"])
    broker.reset()
    broker.channel.queue_declare("PY_M0_PRIORITY_QUEUE", durable=True)
    watchers = {queue: Watcher(env["AMQP_URL"], queue)
                for queue in ("M0_RESULTS_QUEUE", "M0_PRIORITY_QUEUE", "PY_M0_PRIORITY_QUEUE")}
    for watcher in watchers.values():
        watcher.start()
        watcher.ready.wait(10)
    follow_args = ["--stream", names[0], "--window", f"{WINDOW}s"]
    began = time.time()
    ways = {
        "follow": Lines(["kvs-follow", *follow_args, "--state", f"file://{work}/state-follow",
                         "--to", "s3://spectra-videos/follow/{camera_id}/{start_time}.mp4=cloud_stream_path"],
                        env, os.path.join(work, "follow.log")),
        "fast": Lines(["bash", "-c", " ".join([
            "kvs-follow", *follow_args, "--state", f"file://{work}/state-fast", "--record", "chunk",
            "--to", "'s3://spectra-videos/processed/live/{camera_id}/{start_time}.mp4=cloud_stream_path'",
            "--to", "'s3://spectra-cache/temp/{camera_id}/{start_time}.mp4=cache_path'", "--ttl", "cache_path=24h",
            "| gql-mutate --op create-chunk |", os.path.join(ROOT, "examples", "m0-worker.sh"), "--shape-only",
            "| amqp-pub --queue M0_RESULTS_QUEUE"])], env, os.path.join(work, "fast.log")),
        "scheduled": Lines([os.path.join(ROOT, "examples", "s2-worker.sh")], env, os.path.join(work, "s2.log")),
        "python": Lines([sys.executable, os.path.join(HERE, "python_follow.py"), "--window", str(WINDOW),
                         "--delay", str(DELAY), "--windows", str(windows + 1), names[0]],
                        dict(env, QUEUE="PY_M0_PRIORITY_QUEUE"), os.path.join(work, "python.log")),
    }
    timer = Timer(env, windows + 1, os.path.join(work, "scheduler.log"))
    timer.start()
    # CPU from the first whole window on: a follower runs for days, so its start-up (and the Python way's imports)
    # is not a cost per camera-hour; the scheduled way starts its tools anew each window, so theirs is.
    time.sleep(max(0.0, began + WINDOW + 1 - time.time()))
    measured_from, timer_before, remux_before = time.time(), timer.cpu, services.getclip_remux_cpu()
    before = {name: way.cpu() for name, way in ways.items()}
    time.sleep(windows * WINDOW + DELAY + 5)
    cpu = {name: way.stop() - before[name] for name, way in ways.items()}
    cpu["scheduled"] += timer.cpu - timer_before
    # The scheduled and the Python ways each ask GetClip once per window: the testbed's remux is theirs, half each.
    remux = (services.getclip_remux_cpu() - remux_before) / 2
    elapsed = time.time() - measured_from
    camera.stop()
    for watcher in watchers.values():
        watcher.done.set()
    fragments = services.fragments(names[0])
    # The watchers note arrivals on the monotonic clock; the rest is wall-clock time.
    wall = time.time() - time.monotonic()
    arrived = {queue: [(moment + wall, body) for moment, body in watcher.arrivals]
               for queue, watcher in watchers.items()}
    skip = lambda pairs: [pair for pair in pairs if pair[0] > began + WINDOW + 1]  # noqa: E731 - the partial first
    results = {
        "kvs-follow, record on stdout": latencies(
            skip(ways["follow"].lines), fragments, lambda record: rfc3339_seconds(record["end_time"])),
        "kvs-follow fast path, M0_RESULTS_QUEUE": latencies(
            skip(arrived["M0_RESULTS_QUEUE"]), fragments,
            lambda message: window_start_from_key(message["cloud_stream_path"]) + WINDOW),
        "scheduled: kvs-discover timer + s2-worker.sh, M0_PRIORITY_QUEUE": latencies(
            arrived["M0_PRIORITY_QUEUE"], fragments,
            lambda message: window_start_from_key(message["cloud_stream_path"]) + WINDOW),
        "Python: boto3 GetClip per window, put_object, pika": latencies(
            arrived["PY_M0_PRIORITY_QUEUE"], fragments, lambda message: message["window_end"]),
    }
    hours = elapsed / 3600
    costs = dict(zip(results, [cpu["follow"], cpu["fast"], cpu["scheduled"], cpu["python"]]))
    remuxes = dict(zip(results, [0.0, 0.0, remux, remux]))
    return [{"way": name, "windows": len(ends), "from_end": ends, "from_fragment": done,
             "cpu_per_camera_hour": costs[name] / hours, "remux_per_camera_hour": remuxes[name] / hours}
            for name, (ends, done) in results.items()]


def scale(services, bin_dir, work, cameras, windows):
    """`cameras` cameras on one kvs-follow: how late each window's record is after its last fragment, and RSS. The
    follower has a CPU of its own; the cameras and the testbed share the others (`follower_cpus`)."""
    env = tool_env(services, bin_dir)
    names, arns = services.create_streams("bench-scale-", cameras)
    source = camera_source()
    mine, theirs = follower_cpus()
    if theirs:
        services.pin_testbed(theirs)
    producers = [Camera(services, name, source, os.path.join(work, "cameras.log"), theirs) for name in names]
    records = "".join(json.dumps({"camera_id": name, "stream_name": name, "stream_arn": arn, "status": "ACTIVE"})
                      + "\n" for name, arn in zip(names, arns))
    began = time.time()
    follow = Lines(pinned(mine) + ["kvs-follow", "--window", f"{WINDOW}s", "--state", f"file://{work}/state-scale",
                    "--to", "s3://spectra-videos/scale/{camera_id}/{start_time}.mp4=cloud_stream_path"],
                   env, os.path.join(work, "scale.log"), stdin=records, memory=True)
    time.sleep((windows + 1) * WINDOW + 6)
    cpu = follow.stop()
    for producer in producers:
        producer.stop()
    late = []
    by_stream = {name: services.fragments(name) for name in names}
    for arrived, record in follow.lines:
        if arrived < began + WINDOW + 1:
            continue
        done = by_stream[record["stream_name"]].get(record["last_fragment_number"], {}).get("completed_at")
        if done:
            late.append(arrived - done)
    rss = follow.memory.peak / 2**20
    # At the PSS peak: the follower's anonymous memory (its own, per camera) and the rest (mapped files: the binary
    # and the libraries, the same with 1 camera or 100).
    anonymous = sum(anon for _, _, _, anon in follow.memory.at_peak) / 2**20
    if theirs:
        services.pin_testbed(sorted(os.sched_getaffinity(0)))
    return {"cameras": cameras, "pinned": bool(mine), "windows": len(late), "late": summary(late), "max_late": max(late, default=0),
            "rss_mb": rss, "anonymous_mb": anonymous, "budget_mb": 30 + 8 * cameras, "cpu_per_camera_hour": cpu / cameras / ((time.time() -
                                                                                                   began) / 3600)}


def resume(services, bin_dir, work, kills, seconds):
    """A follower killed with SIGKILL `kills` times at random and restarted, beside one never killed: the windows."""
    env = tool_env(services, bin_dir)
    names, _ = services.create_streams("bench-resume-", 1)
    camera = Camera(services, names[0], camera_source(), os.path.join(work, "camera-resume.log"))
    arguments = ["kvs-follow", "--stream", names[0], "--window", f"{WINDOW}s"]
    reference = Lines(arguments + ["--state", f"file://{work}/state-ref", "--work-dir", f"{work}/ref"], env,
                      os.path.join(work, "reference.log"))
    moments = sorted(random.uniform(WINDOW, seconds) for _ in range(kills))
    runs, began = [], time.time()
    for moment in moments + [seconds + 2 * WINDOW]:
        run = Lines(arguments + ["--state", f"file://{work}/state-killed", "--work-dir", f"{work}/killed"], env,
                    os.path.join(work, "killed.log"))
        time.sleep(max(0.0, began + moment - time.time()))
        run.stop("KILL" if moment in moments else "TERM")
        runs.append(run)
    reference.stop()
    camera.stop()
    killed, doubled_differently = {}, 0
    for run in runs:
        for _, record in run.lines:
            seen = killed.setdefault(record["start_time"], record)
            doubled_differently += seen != record
    # The windows both saw whole: after the first window of each (they started mid-window), up to the last killed.
    first, last = min(killed, default=""), max(killed, default="")
    compared = [record for _, record in reference.lines[1:] if first < record["start_time"] <= last]
    missing = [record["start_time"] for record in compared if record["start_time"] not in killed]
    differing = [record["start_time"] for record in compared
                 if record["start_time"] in killed and killed[record["start_time"]]["clip_sha256"] !=
                 record["clip_sha256"]]
    return {"kills": kills, "seconds": seconds, "compared": len(compared), "missing": len(missing),
            "differing": len(differing), "doubled_differently": doubled_differently,
            "written_twice": sum(len(run.lines) for run in runs) - len(killed)}


__all__ = ["latency", "scale", "resume", "percentile"]
