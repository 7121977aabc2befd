#!/usr/bin/env python3
"""The seeds' message shapes as pydantic models, read by pika from a real RabbitMQ (issue 23, item 12).

  seed_messages.py check QUEUE MODEL [COUNT]   read up to COUNT messages (default: all that are ready), leave them
                                              on the queue, and print one JSON line per message:
                                              {"valid": true, "body": {...}, "headers": {...}} or
                                              {"valid": false, "errors": "...", "body": "..."}
  seed_messages.py purge QUEUE...             drop every ready message (a missing queue is fine)

MODEL is KVSTask (S2_PROCESSING_QUEUE), VideoProcessingRequest (M0_PRIORITY_QUEUE) or ChunkMessage (M0_RESULTS_QUEUE),
as the S2 and M0 seeds define them. A dead letter is its original message body with the error in its headers: check
it with the original's model. The broker is $AMQP_URL.
"""
import datetime
import json
import os
import sys
from typing import Literal, Optional

import pika
from pydantic import BaseModel, ValidationError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from amqp_peer import printable  # noqa: E402  (headers and times as JSON, one way for every test peer)


class KVSTask(BaseModel):
    """S2's task (seed 000, "KVSTask")."""
    camera_id: str
    stream_arn: str
    stream_name: str
    start_time: datetime.datetime
    end_time: datetime.datetime
    process_id: int
    inference_config: dict


class VideoPreprocessing(BaseModel):
    chunk_duration: float
    fps: Optional[float] = None
    width: Optional[int] = None
    height: Optional[int] = None


class VideoProcessingRequest(BaseModel):
    """M0's request (seed 001, POST /api/v1/process_video and the live example of seed 000)."""
    process_id: int
    inference_modality: Literal["batch", "live"]
    cloud_stream_path: str
    destination_prefix: str
    cache_container_name: str
    video_preprocessing: VideoPreprocessing
    live_start_time: Optional[datetime.datetime] = None
    inference_config: Optional[dict] = None


class ChunkMessage(BaseModel):
    """What M1 reads from M0_RESULTS_QUEUE (seed 001, "Publish to M0_RESULTS_QUEUE")."""
    process_id: int
    chunk_id: int
    chunk_hash: str
    cloud_stream_path: str
    cache_path: str
    start_time: float
    end_time: float
    inference_config: dict
    inference_modality: Literal["batch", "live"]


MODELS = {model.__name__: model for model in (KVSTask, VideoProcessingRequest, ChunkMessage)}


def check(channel, queue, model, count):
    declared = channel.queue_declare(queue, passive=True)
    count = declared.method.message_count if count is None else count
    for _ in range(count):
        method, properties, body = channel.basic_get(queue, auto_ack=False)
        if method is None:
            break
        headers = printable(properties.headers or {})
        try:
            parsed = model.model_validate_json(body)
            print(json.dumps({"valid": True, "body": json.loads(body), "parsed": printable(parsed.model_dump()),
                              "headers": headers}))
        except ValidationError as error:
            print(json.dumps({"valid": False, "errors": str(error), "body": body.decode("utf-8", "replace"),
                              "headers": headers}))
    # Unacknowledged: closing the channel puts every message back, in order.


def purge(connection, queue):
    channel = connection.channel()
    try:
        channel.queue_purge(queue)
    except pika.exceptions.ChannelClosedByBroker as error:
        if error.reply_code != 404:
            raise


def main():
    connection = pika.BlockingConnection(pika.URLParameters(os.environ["AMQP_URL"]))
    if sys.argv[1] == "check":
        count = int(sys.argv[4]) if len(sys.argv) > 4 else None
        check(connection.channel(), sys.argv[2], MODELS[sys.argv[3]], count)
    elif sys.argv[1] == "purge":
        for queue in sys.argv[2:]:
            purge(connection, queue)
    else:
        sys.exit(__doc__)
    connection.close()


if __name__ == "__main__":
    main()
