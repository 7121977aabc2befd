#!/usr/bin/env python3
"""A RabbitMQ peer nobody here wrote (pika), for interoperability tests and the benchmark.

  amqp_peer.py get QUEUE [COUNT]            print up to COUNT messages as JSON lines: body, headers, properties
  amqp_peer.py publish QUEUE BODY [K=V…]    publish one persistent message with string headers, confirmed
  amqp_peer.py publish-many QUEUE N SIZE    publish N persistent messages of SIZE bytes with confirms (benchmark)
  amqp_peer.py consume-many QUEUE N         consume and ack N messages (benchmark)
  amqp_peer.py depth QUEUE                  print the number of ready messages
The broker is $AMQP_URL.
"""
import json
import os
import sys

import pika


def connect():
    return pika.BlockingConnection(pika.URLParameters(os.environ["AMQP_URL"]))


def printable(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):
        return {k: printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [printable(v) for v in value]
    return value


def get(queue, count=1):
    channel = connect().channel()
    for _ in range(count):
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            break
        print(json.dumps({
            "body": body.decode("utf-8", "replace"),
            "routing_key": method.routing_key,
            "redelivered": method.redelivered,
            "headers": printable(properties.headers or {}),
            "content_type": properties.content_type,
            "delivery_mode": properties.delivery_mode,
            "message_id": properties.message_id,
            "timestamp": properties.timestamp,
        }, sort_keys=True))


def publish(queue, body, pairs):
    channel = connect().channel()
    channel.confirm_delivery()
    headers = dict(pair.split("=", 1) for pair in pairs)
    channel.basic_publish("", queue, body.encode(), pika.BasicProperties(
        content_type="application/json", delivery_mode=2, headers=headers, message_id="pika-1"), mandatory=True)


def publish_many(queue, count, size):
    channel = connect().channel()
    channel.confirm_delivery()  # each publish waits for its confirm: pika's BlockingConnection has no pipelining
    body = json.dumps({"pad": "x" * max(0, size - 11)}).encode()
    properties = pika.BasicProperties(content_type="application/json", delivery_mode=2)
    for _ in range(count):
        channel.basic_publish("", queue, body, properties, mandatory=True)


def consume_many(queue, count):
    channel = connect().channel()
    channel.basic_qos(prefetch_count=100)
    seen = 0
    for method, _, body in channel.consume(queue):
        sys.stdout.buffer.write(body + b"\n")
        channel.basic_ack(method.delivery_tag)
        seen += 1
        if seen >= count:
            break
    channel.cancel()


def depth(queue):
    channel = connect().channel()
    print(channel.queue_declare(queue, passive=True).method.message_count)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "get":
        get(args[0], int(args[1]) if len(args) > 1 else 1)
    elif command == "publish":
        publish(args[0], args[1], args[2:])
    elif command == "publish-many":
        publish_many(args[0], int(args[1]), int(args[2]))
    elif command == "consume-many":
        consume_many(args[0], int(args[1]))
    elif command == "depth":
        depth(args[0])
    else:
        sys.exit(__doc__)
