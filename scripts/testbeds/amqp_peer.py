#!/usr/bin/env python3
"""A RabbitMQ peer nobody here wrote (pika), for interoperability tests and the benchmark.

  amqp_peer.py get QUEUE [COUNT]            print up to COUNT messages as JSON lines: body, headers, properties
  amqp_peer.py publish QUEUE BODY [K=V…]    publish one persistent message with string headers, confirmed
  amqp_peer.py publish-full QUEUE BODY      publish one message with every basic property set, confirmed
  amqp_peer.py publish-many QUEUE N SIZE    publish N persistent messages of SIZE bytes with confirms (benchmark)
  amqp_peer.py consume-many QUEUE N         consume and ack N messages (benchmark)
  amqp_peer.py depth QUEUE                  print the number of ready messages
  amqp_peer.py publish-typed QUEUE BODY SPEC  publish with headers of exact AMQP types (SPEC: JSON, see typed())
  amqp_peer.py get-typed QUEUE [COUNT]      like get, but headers as {name: {"t": letter, "v": value}}
The broker is $AMQP_URL.
"""
import datetime
import decimal
import json
import os
import struct
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
    if isinstance(value, datetime.datetime):  # AMQP timestamps (x-death times): UTC, pika leaves them naive
        return value.isoformat() + ("Z" if value.tzinfo is None else "")
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def get(queue, count=1, typed=False):
    channel = connect().channel()
    for _ in range(count):
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            break
        print(json.dumps({
            "body": body.decode("utf-8", "replace"),
            "routing_key": method.routing_key,
            "redelivered": method.redelivered,
            "headers": (properties.headers or {}) if typed else printable(properties.headers or {}),
            "content_type": properties.content_type,
            "delivery_mode": properties.delivery_mode,
            "message_id": properties.message_id,
            "timestamp": properties.timestamp,
            "priority": properties.priority,
            "correlation_id": properties.correlation_id,
            "reply_to": properties.reply_to,
            "type": properties.type,
            "app_id": properties.app_id,
            "user_id": properties.user_id,
            "content_encoding": properties.content_encoding,
        }, sort_keys=True))


def publish(queue, body, pairs):
    channel = connect().channel()
    channel.confirm_delivery()
    headers = dict(pair.split("=", 1) for pair in pairs)
    channel.basic_publish("", queue, body.encode(), pika.BasicProperties(
        content_type="application/json", delivery_mode=2, headers=headers, message_id="pika-1"), mandatory=True)


def publish_full(queue, body):
    """Every basic property a publisher can set (user_id must be the connection's user), and one header."""
    channel = connect().channel()
    channel.confirm_delivery()
    channel.basic_publish("", queue, body.encode(), pika.BasicProperties(
        content_type="application/json", content_encoding="identity", delivery_mode=2, priority=7,
        correlation_id="corr-1", reply_to="replies", message_id="full-1", timestamp=1700000000, type="m0.request",
        user_id="guest", app_id="m0-api", headers={"process_id": "p9"}), mandatory=True)


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


# Headers of exact wire types, RabbitMQ's letters (pika alone writes only t I l d D S x A T F V, and reads 's' as a
# short string where RabbitMQ means a signed 16-bit integer). A spec is {"t": letter, "v": value}: F holds
# [[key, spec], ...], A holds [spec, ...], D holds [scale, unscaled], S and x hold text.
SCALARS = {"t": ">B", "b": ">b", "B": ">B", "s": ">h", "u": ">H", "I": ">i", "i": ">I", "l": ">q", "L": ">Q",
           "f": ">f", "d": ">d", "T": ">Q"}


class Typed:
    def __init__(self, spec):
        self.spec = spec


def encode_typed(spec):
    letter, value = spec["t"], spec.get("v")
    if letter in SCALARS:
        return letter.encode() + struct.pack(SCALARS[letter], int(value) if letter == "t" else value)
    if letter in "Sx":
        raw = value.encode()
        return letter.encode() + struct.pack(">I", len(raw)) + raw
    if letter == "D":
        return b"D" + struct.pack(">BI", value[0], value[1])
    if letter == "V":
        return b"V"
    if letter == "F":
        return b"F" + encode_typed_table(value)
    if letter == "A":
        raw = b"".join(encode_typed(item) for item in value)
        return b"A" + struct.pack(">I", len(raw)) + raw
    raise ValueError(letter)


def encode_typed_table(entries):
    raw = b"".join(struct.pack(">B", len(k.encode())) + k.encode() + encode_typed(v) for k, v in entries)
    return struct.pack(">I", len(raw)) + raw


def decode_typed(encoded, offset):
    letter = chr(encoded[offset])
    offset += 1
    if letter in SCALARS:
        size = struct.calcsize(SCALARS[letter])
        value = struct.unpack_from(SCALARS[letter], encoded, offset)[0]
        return {"t": letter, "v": bool(value) if letter == "t" else value}, offset + size
    if letter in "Sx":
        size = struct.unpack_from(">I", encoded, offset)[0]
        return {"t": letter, "v": bytes(encoded[offset + 4:offset + 4 + size]).decode("utf-8", "replace")}, \
            offset + 4 + size
    if letter == "D":
        return {"t": "D", "v": list(struct.unpack_from(">BI", encoded, offset))}, offset + 5
    if letter == "V":
        return {"t": "V", "v": None}, offset
    if letter == "F":
        entries, offset = decode_typed_entries(encoded, offset)
        return {"t": "F", "v": entries}, offset
    if letter == "A":
        size = struct.unpack_from(">I", encoded, offset)[0]
        end, offset, items = offset + 4 + size, offset + 4, []
        while offset < end:
            item, offset = decode_typed(encoded, offset)
            items.append(item)
        return {"t": "A", "v": items}, offset
    raise ValueError(letter)


def decode_typed_entries(encoded, offset):
    size = struct.unpack_from(">I", encoded, offset)[0]
    end, offset, entries = offset + 4 + size, offset + 4, []
    while offset < end:
        length = encoded[offset]
        key = bytes(encoded[offset + 1:offset + 1 + length]).decode("utf-8", "replace")
        value, offset = decode_typed(encoded, offset + 1 + length)
        entries.append([key, value])
    return entries, offset


def publish_typed(queue, body, spec):
    original = pika.data.encode_value

    def encode_value(pieces, value):
        if isinstance(value, Typed):
            raw = encode_typed(value.spec)
            pieces.append(raw)
            return len(raw)
        return original(pieces, value)

    pika.data.encode_value = encode_value
    channel = connect().channel()
    channel.confirm_delivery()
    headers = {key: Typed(value) for key, value in json.loads(spec)}
    channel.basic_publish("", queue, body.encode(), pika.BasicProperties(
        content_type="application/json", delivery_mode=2, headers=headers, message_id="typed-1"), mandatory=True)


def get_typed(queue, count=1):
    def decode_table(encoded, offset):
        entries, offset = decode_typed_entries(encoded, offset)
        return dict(entries), offset

    pika.data.decode_table = decode_table
    get(queue, count, typed=True)


def depth(queue):
    channel = connect().channel()
    print(channel.queue_declare(queue, passive=True).method.message_count)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "get":
        get(args[0], int(args[1]) if len(args) > 1 else 1)
    elif command == "publish":
        publish(args[0], args[1], args[2:])
    elif command == "publish-full":
        publish_full(args[0], args[1])
    elif command == "publish-many":
        publish_many(args[0], int(args[1]), int(args[2]))
    elif command == "consume-many":
        consume_many(args[0], int(args[1]))
    elif command == "publish-typed":
        publish_typed(args[0], args[1], args[2])
    elif command == "get-typed":
        get_typed(args[0], int(args[1]) if len(args) > 1 else 1)
    elif command == "depth":
        depth(args[0])
    else:
        sys.exit(__doc__)
