"""One measured run of one variant of the M0 (or S2) job, and the checks that it did the whole job: every chunk
message on the output queue, every object in both buckets, every GraphQL row, the status. A run that did not do the
job raises instead of producing a figure."""
import json
import os
import time
import urllib.request

from measure import TreeMemory, Worker
from rabbit import Broker, Watcher

VIDEO_BUCKET, CACHE_BUCKET, UPLOAD_BUCKET = "spectra-videos", "spectra-cache", "spectra-uploads"
INFERENCE_CONFIG = {"vlm_provider": "bedrock", "vlm_model": "amazon.nova-pro-v1",
                    "system_prompt_key": "security_live_v1", "user_prompt": "Describe what happens."}


class Sample(dict):
    """wall, cpu, rss (peak summed RSS of the tree, bytes), pss (peak summed PSS, bytes), memory (each process's
    name, RSS, PSS and anonymous MB at the PSS peak), first (seconds to the first output message or None),
    services (CPU seconds the services used meanwhile)."""


class Scenario:
    """What every run needs: the bench's broker connection, an S3 client for checks and clean-up, the GraphQL
    control URL, a work directory for logs, and a counter that gives every run its own process id."""

    def __init__(self, env, s3, work, services_cpu):
        self.env, self.s3, self.work, self.services_cpu = env, s3, work, services_cpu
        self.broker = Broker(env["AMQP_URL"])
        self.next_process_id = 9000
        self.running = set()

    def process_id(self):
        self.next_process_id += 1
        return self.next_process_id

    def start(self, name, argv, env, stdin=None):
        worker = Worker(argv, env, os.path.join(self.work, f"{name}.log"), stdin)
        self.running.add(worker)
        return worker

    def finish(self, worker, timeout):
        try:
            return worker.wait(timeout)
        finally:
            self.running.discard(worker)

    def stop_all(self):
        for worker in list(self.running):
            worker.stop()
        self.running.clear()
        self.broker.close()

    # --- a worker consuming one job --------------------------------------------------------------------------

    def run_worker(self, name, argv, env, job_queue, job, watch_queue, expected, timeout):
        """Starts the worker, waits until it consumes `job_queue`, publishes `job`, and measures until it exits and
        `expected` messages arrived on `watch_queue`. CPU counts from the moment of publishing."""
        self.broker.reset()
        watcher = Watcher(env["AMQP_URL"], watch_queue)
        watcher.start()
        if not watcher.ready.wait(30) or watcher.error:
            raise RuntimeError(f"cannot watch {watch_queue}: {watcher.error}")
        worker = self.start(name, argv, env)
        memory = None
        try:
            self.broker.wait_for_consumer(job_queue, worker, timeout=120)
            cpu_before, services_before = worker.cpu_now(), self.services_cpu()
            memory = TreeMemory(worker.pid)
            memory.start()
            published = time.monotonic()
            self.broker.publish(job_queue, job)
            code, usage, _ = self.finish(worker, timeout)
            services = self.services_cpu() - services_before
            memory.stop()
            if code != 0:
                raise RuntimeError(f"{name} exited {code}:\n{worker.tail()}")
            if not watcher.wait_for(expected, timeout=30):
                raise RuntimeError(f"{name}: {len(watcher.arrivals)} of {expected} messages on {watch_queue}"
                                   f" ({watcher.error or 'timed out'}):\n{worker.tail()}")
        finally:
            if memory:
                memory.stop()
            watcher.stop()
            worker.stop()
        if len(watcher.arrivals) != expected:
            raise RuntimeError(f"{name}: {len(watcher.arrivals)} messages on {watch_queue}, expected {expected}")
        times = [arrived - published for arrived, _ in watcher.arrivals]
        sample = Sample(wall=times[-1], first=times[0], cpu=usage.ru_utime + usage.ru_stime - cpu_before,
                        services=services, rss=max(memory.peak, usage.ru_maxrss * 1024),
                        pss=memory.peak_pss, memory=memory.breakdown())
        return sample, [body for _, body in watcher.arrivals]

    # --- a storage command alone (the floor) -----------------------------------------------------------------

    def run_command(self, name, argv, env, timeout, stdin=None):
        services_before = self.services_cpu()
        worker = self.start(name, argv, env, stdin)
        memory = TreeMemory(worker.pid)
        memory.start()
        try:
            code, usage, ended = self.finish(worker, timeout)
            services = self.services_cpu() - services_before
        finally:
            memory.stop()
            worker.stop()
        if code != 0:
            raise RuntimeError(f"{name} exited {code}:\n{worker.tail()}")
        return Sample(wall=ended - worker.started, first=None, cpu=usage.ru_utime + usage.ru_stime, services=services,
                      rss=max(memory.peak, usage.ru_maxrss * 1024), pss=memory.peak_pss, memory=memory.breakdown())

    # --- checks and clean-up -----------------------------------------------------------------------------------

    def keys(self, bucket, prefix):
        found = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            found += [item["Key"] for item in page.get("Contents", [])]
        return found

    def remove(self, bucket, keys):
        for start in range(0, len(keys), 1000):
            self.s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[start:start + 1000]]})

    def expect_objects(self, name, bucket, prefix, count):
        """Checks that `count` objects sit under the prefix, then removes them (the next run starts empty)."""
        keys = self.keys(bucket, prefix)
        self.remove(bucket, keys)
        if len(keys) != count:
            raise RuntimeError(f"{name}: {len(keys)} objects under s3://{bucket}/{prefix}, expected {count}")

    def rows(self, table, process_id):
        url = f"{self.env['GRAPHQL_CONTROL_URL']}/rows/{table}?process_id={process_id}"
        with urllib.request.urlopen(url, timeout=30) as answer:
            return json.load(answer)

    def check_m0(self, name, process_id, messages, expected):
        """Every chunk message, object, row and the job's status, for one M0 run."""
        for message in messages:
            missing = {"process_id", "chunk_id", "chunk_hash", "cloud_stream_path", "cache_path", "start_time",
                       "end_time"} - message.keys()
            if missing or str(message["process_id"]) != str(process_id):
                raise RuntimeError(f"{name}: a results message lacks {sorted(missing)} or names another job")
        self.expect_objects(name, VIDEO_BUCKET, f"processed/{process_id}/", expected)
        self.expect_objects(name, CACHE_BUCKET, f"temp/{process_id}/", expected)
        chunks = self.rows("batch_chunks", process_id)
        if len(chunks) != expected:
            raise RuntimeError(f"{name}: {len(chunks)} batch_chunks rows, expected {expected}")
        status = [row["status"] for row in self.rows("batch_video_processes", process_id)]
        if status != ["PROCESSING"]:
            raise RuntimeError(f"{name}: job status {status}, expected PROCESSING")
