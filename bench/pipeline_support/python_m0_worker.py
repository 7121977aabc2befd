#!/usr/bin/env python3
"""The Python way of M0, as the seed describes the service (bench/pipeline's baseline; not part of clipline):
consume one request from M0_PRIORITY_QUEUE with pika, download the source with boto3, cut each chunk with one
`ffmpeg -i in -ss S -t D -c copy` subprocess (or `-vf scale=W:H,fps=F -c:v libx264 -preset ultrafast` when the
request asks for a size or frame rate), SHA-256 it, upload it to the persistent and the cache bucket in two
parallel threads, record it with one GraphQL createBatchChunk POST, publish it to M0_RESULTS_QUEUE with a
confirmed pika publish, and after the last chunk set the job PROCESSING. Chunks follow one another, as the seed's
streaming generator yields them.

    python_m0_worker.py [--count N]
Environment: AMQP_URL, GRAPHQL_ENDPOINT, GRAPHQL_TOKEN, VIDEO_STORE (s3://bucket), the AWS_* variables boto3 reads.
"""
import datetime
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import boto3
import requests
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rabbit  # noqa: E402

CREATE_BATCH_CHUNK = """mutation CreateBatchChunk($input: CreateBatchChunkInput!) {
  createBatchChunk(input: $input) { id }
}"""
SET_STATUS = """mutation SetStatus($input: UpdateVideoProcessingStatusInput!) {
  updateBatchVideoProcessingStatus(input: $input) { status }
}"""
CACHE_TTL = datetime.timedelta(hours=24)


def split_url(url):
    bucket, _, key = url.removeprefix("s3://").partition("/")
    return bucket, key


def probe_duration(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
                         check=True, capture_output=True, text=True).stdout
    return float(out.strip())


def chunk_bounds(duration, chunk_duration):
    """(start, length) per chunk; a remainder under a quarter of a chunk joins the last one, as M0 does."""
    count = max(1, math.floor(duration / chunk_duration))
    if duration - count * chunk_duration >= chunk_duration / 4:
        count += 1
    bounds = [(i * chunk_duration, chunk_duration) for i in range(count)]
    start, _ = bounds[-1]
    bounds[-1] = (start, duration - start)
    return bounds


def cut(source, target, start, length, preprocessing):
    command = ["ffmpeg", "-v", "error", "-y", "-i", source, "-ss", f"{start:.3f}", "-t", f"{length:.3f}"]
    if {"fps", "width", "height"} & preprocessing.keys():
        scale = f"scale={preprocessing.get('width', -2)}:{preprocessing.get('height', -2)}"
        fps = f",fps={preprocessing['fps']}" if "fps" in preprocessing else ""
        command += ["-vf", scale + fps, "-c:v", "libx264", "-preset", "ultrafast"]
    else:
        command += ["-c", "copy"]
    subprocess.run(command + [target], check=True)


def sha256_of(path):
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


class M0Service:
    def __init__(self, connection):
        self.s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}, max_pool_connections=20))
        self.graphql = requests.Session()
        self.graphql.headers["Authorization"] = f"Bearer {os.environ['GRAPHQL_TOKEN']}"
        self.endpoint = os.environ["GRAPHQL_ENDPOINT"]
        self.video_bucket, _ = split_url(os.environ["VIDEO_STORE"])
        self.results = rabbit.Publisher(connection)
        self.uploads = ThreadPoolExecutor(2)

    def mutate(self, document, variables):
        answer = self.graphql.post(self.endpoint, json={"query": document, "variables": variables}, timeout=60)
        answer.raise_for_status()
        if answer.json().get("errors"):
            raise RuntimeError(f"GraphQL: {answer.json()['errors']}")

    def upload(self, path, bucket, key, expires=None):
        extra = {}
        if expires:
            extra = {"Tagging": f"clipline-expires-at={expires.strftime('%Y-%m-%dT%H:%M:%SZ')}", "Expires": expires}
        self.s3.upload_file(path, bucket, key, ExtraArgs=extra)
        return f"s3://{bucket}/{key}"

    def handle(self, body):
        request = json.loads(body)
        process_id = request["process_id"]
        preprocessing = request.get("video_preprocessing") or {}
        work = tempfile.mkdtemp(prefix=f"m0_{process_id}_")
        try:
            source = os.path.join(work, "input.mp4")
            self.s3.download_file(*split_url(request["cloud_stream_path"]), source)
            bounds = chunk_bounds(probe_duration(source), float(preprocessing.get("chunk_duration", 60)))
            for chunk_id, (start, length) in enumerate(bounds, start=1):
                name = f"chunk_{chunk_id:03}.mp4"
                path = os.path.join(work, name)
                cut(source, path, start, length, preprocessing)
                chunk_hash = sha256_of(path)
                expires = datetime.datetime.now(datetime.timezone.utc) + CACHE_TTL
                persistent = self.uploads.submit(self.upload, path, self.video_bucket,
                                                 f"{request['destination_prefix']}{name}")
                cache = self.uploads.submit(self.upload, path, request["cache_container_name"],
                                            f"temp/{process_id}/{name}", expires)
                cloud_path, cache_path = persistent.result(), cache.result()
                self.mutate(CREATE_BATCH_CHUNK, {"input": {
                    "processId": str(process_id), "chunkHash": chunk_hash, "chunkDuration": length,
                    "startTime": start, "endTime": start + length, "timeOffset": start, "cloudPath": cloud_path}})
                self.results.publish("M0_RESULTS_QUEUE", {
                    "process_id": process_id, "chunk_id": chunk_id, "chunk_hash": chunk_hash,
                    "cloud_stream_path": cloud_path, "cache_path": cache_path, "start_time": start,
                    "end_time": start + length, "inference_config": request.get("inference_config"),
                    "inference_modality": request.get("inference_modality", "batch"), "chunk_duration": length,
                    "time_offset": start})
                os.remove(path)
            self.mutate(SET_STATUS, {"input": {"processId": str(process_id), "status": "PROCESSING"}})
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(rabbit.serve("M0_PRIORITY_QUEUE", "M0_DEADLETTER_QUEUE", M0Service))
