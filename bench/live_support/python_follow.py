#!/usr/bin/env python3
"""The Python way of live windows, as a service would write it with the AWS SDK (bench/live's baseline; not part of
clipline): a timer wakes at each window's end plus a delay (KVS must have the window's last fragment), and for each
camera asks GetClip for the window on the server's clock with boto3 (through GetDataEndpoint), put_objects the MP4 to
VIDEO_STORE, and publishes M0's request to QUEUE with a confirmed pika publish.

    python_follow.py --window SECONDS --delay SECONDS --windows N STREAM...
Environment: AMQP_URL, VIDEO_STORE (s3://bucket), QUEUE, the AWS_* variables boto3 reads.
"""
import argparse
import datetime
import os
import sys
import time

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pipeline_support"))
import rabbit  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--window", type=float, required=True)
    parser.add_argument("--delay", type=float, required=True)
    parser.add_argument("--windows", type=int, required=True)
    parser.add_argument("streams", nargs="+")
    arguments = parser.parse_args()
    kvs = boto3.client("kinesisvideo")
    s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}))
    bucket = os.environ["VIDEO_STORE"].removeprefix("s3://").partition("/")[0]
    publisher = rabbit.Publisher(rabbit.connect(os.environ["AMQP_URL"]))
    media = {}
    for stream in arguments.streams:
        endpoint = kvs.get_data_endpoint(StreamName=stream, APIName="GET_CLIP")["DataEndpoint"]
        media[stream] = boto3.client("kinesis-video-archived-media", endpoint_url=endpoint)
    window = arguments.window
    end = (time.time() // window + 1) * window
    for _ in range(arguments.windows):
        time.sleep(max(0.0, end + arguments.delay - time.time()))
        start = datetime.datetime.fromtimestamp(end - window, datetime.timezone.utc)
        stop = datetime.datetime.fromtimestamp(end, datetime.timezone.utc)
        for stream in arguments.streams:
            try:
                clip = media[stream].get_clip(StreamName=stream, ClipFragmentSelector={
                    "FragmentSelectorType": "SERVER_TIMESTAMP",
                    "TimestampRange": {"StartTimestamp": start, "EndTimestamp": stop}})["Payload"].read()
            except media[stream].exceptions.ResourceNotFoundException:
                continue
            key = f"python/{stream}/{start.strftime('%Y-%m-%dT%H-%M-%SZ')}.mp4"
            s3.put_object(Bucket=bucket, Key=key, Body=clip, ContentType="video/mp4")
            publisher.publish(os.environ["QUEUE"], {
                "process_id": 501, "inference_modality": "live", "cloud_stream_path": f"s3://{bucket}/{key}",
                "destination_prefix": "processed/live/501/", "cache_container_name": "spectra-cache",
                "live_start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "window_end": end,
                "video_preprocessing": {"chunk_duration": int(window), "fps": 15}})
        end += window


if __name__ == "__main__":
    main()
