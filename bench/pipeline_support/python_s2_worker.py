#!/usr/bin/env python3
"""The Python way of S2, as the seed describes the service (bench/pipeline's baseline; not part of clipline):
consume one KVS task from S2_PROCESSING_QUEUE with pika, check the stream is ACTIVE (DescribeStream), GetClip the
range into memory with boto3 (through GetDataEndpoint), put_object it to VIDEO_STORE, and publish the M0 request
to M0_PRIORITY_QUEUE with a confirmed pika publish: the same request examples/s2-worker.sh shapes.

    python_s2_worker.py [--count N]
Environment: AMQP_URL, VIDEO_STORE (s3://bucket), CHUNK_DURATION (60), the AWS_* variables boto3 reads.
"""
import datetime
import json
import os
import sys

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rabbit  # noqa: E402


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


class S2Service:
    def __init__(self, connection):
        self.kvs = boto3.client("kinesisvideo")
        self.s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}))
        self.media_clients = {}  # one archived-media client per data endpoint, as a service would keep them
        self.bucket = os.environ["VIDEO_STORE"].removeprefix("s3://").partition("/")[0]
        self.chunk_duration = int(os.environ.get("CHUNK_DURATION", "60"))
        self.requests = rabbit.Publisher(connection)

    def media(self, endpoint):
        if endpoint not in self.media_clients:
            self.media_clients[endpoint] = boto3.client("kinesis-video-archived-media", endpoint_url=endpoint)
        return self.media_clients[endpoint]

    def handle(self, body):
        task = json.loads(body)
        stream = task["stream_name"]
        if self.kvs.describe_stream(StreamName=stream)["StreamInfo"]["Status"] != "ACTIVE":
            return
        endpoint = self.kvs.get_data_endpoint(StreamName=stream, APIName="GET_CLIP")["DataEndpoint"]
        clip = self.media(endpoint).get_clip(StreamName=stream, ClipFragmentSelector={
            "FragmentSelectorType": "PRODUCER_TIMESTAMP",
            "TimestampRange": {"StartTimestamp": parse_time(task["start_time"]),
                               "EndTimestamp": parse_time(task["end_time"])}})["Payload"].read()
        key = f"live/{task['camera_id']}/{task['start_time']}.mp4"
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=clip, ContentType="video/mp4")
        self.requests.publish("M0_PRIORITY_QUEUE", {
            "process_id": task["process_id"], "inference_config": task.get("inference_config"),
            "inference_modality": "live", "cloud_stream_path": f"s3://{self.bucket}/{key}",
            "destination_prefix": f"processed/live/{task['process_id']}/", "cache_container_name": "spectra-cache",
            "live_start_time": task["start_time"],
            "video_preprocessing": {"chunk_duration": self.chunk_duration, "fps": 15}})


if __name__ == "__main__":
    sys.exit(rabbit.serve("S2_PROCESSING_QUEUE", "S2_PROCESSING_DLQ", S2Service))
