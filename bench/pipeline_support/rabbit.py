"""RabbitMQ with pika, as the Python services use it: persistent messages, publisher confirms, prefetch 1. Shared by the Python baselines and by the bench (which publishes the job and watches the
output queue)."""
import argparse
import json
import os
import sys
import threading
import time
import traceback

import pika

# A job runs inside the delivery callback; a long transcode must not miss heartbeats.
HEARTBEAT_SECONDS = 600
# The deployment's queues, declared once by the bench the way clipline's --declare makes them (a work queue
# dead-letters into its DLQ through the default exchange), so every variant meets the same queues; the Python
# services use them as they find them (passive declare), as services sharing an operator's queues do.
# (amqp-pub --declare without --dlq gives the queue the dead-letter queue QUEUE.dlq; amqp-consume adds QUEUE.retry.)
WORK_QUEUES = {"M0_PRIORITY_QUEUE": "M0_DEADLETTER_QUEUE", "S2_PROCESSING_QUEUE": "S2_PROCESSING_DLQ",
               "M0_RESULTS_QUEUE": "M0_RESULTS_QUEUE.dlq"}


def connect(url):
    parameters = pika.URLParameters(url)
    parameters.heartbeat = HEARTBEAT_SECONDS
    parameters.blocked_connection_timeout = 120
    return pika.BlockingConnection(parameters)


class Publisher:
    """A channel in confirm mode on `connection`: publish() returns once the broker confirmed the message."""

    def __init__(self, connection):
        self.channel = connection.channel()
        self.channel.confirm_delivery()

    def publish(self, queue, record, headers=None):
        body = record if isinstance(record, bytes) else json.dumps(record).encode()
        self.channel.basic_publish("", queue, body, pika.BasicProperties(
            content_type="application/json", delivery_mode=2, headers=headers), mandatory=True)


def consume(connection, queue, count, handle, dead_letter_queue):
    """Handles `count` messages from `queue` one at a time (prefetch 1), acking each after `handle(body)` returned;
    a failing message goes to `dead_letter_queue` with the error in its headers, then is acked. Returns how many
    failed."""
    channel = connection.channel()
    channel.queue_declare(queue, passive=True)
    channel.queue_declare(dead_letter_queue, passive=True)
    channel.basic_qos(prefetch_count=1)
    failures = 0
    for handled, (method, _, body) in enumerate(channel.consume(queue), start=1):
        try:
            handle(body)
        except Exception as error:  # noqa: BLE001 - every failure is dead-lettered, as the services do
            failures += 1
            traceback.print_exc(file=sys.stderr)
            Publisher(connection).publish(dead_letter_queue, body, {"x-error": str(error)[:500], "x-queue": queue})
        channel.basic_ack(method.delivery_tag)
        if handled >= count:
            break
    channel.cancel()
    return failures


def serve(queue, dead_letter_queue, make_service):
    """The main of a Python service: `--count N` (default 1) messages from `queue`, each handled by
    make_service(connection).handle(body); returns the exit status (1 when any message failed)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1, help="messages to handle before exiting")
    args = parser.parse_args()
    connection = connect(os.environ["AMQP_URL"])
    service = make_service(connection)
    failures = consume(connection, queue, args.count, service.handle, dead_letter_queue)
    connection.close()
    return 1 if failures else 0


class Broker:
    """The bench's own connection: resets queues between runs, waits for a worker to consume, publishes jobs."""

    def __init__(self, url):
        self.url = url
        self.connection = connect(url)
        self.channel = self.connection.channel()
        self.publisher = Publisher(self.connection)

    def reset(self):
        """Deletes every queue of the deployment and declares them afresh: each run starts with empty queues."""
        for work, dead_letters in WORK_QUEUES.items():
            for queue in (work, dead_letters, work + ".retry"):
                self.channel.queue_delete(queue)
        for work, dead_letters in WORK_QUEUES.items():
            self.channel.queue_declare(dead_letters, durable=True)
            self.channel.queue_declare(work, durable=True, arguments={
                "x-dead-letter-exchange": "", "x-dead-letter-routing-key": dead_letters})

    def wait_for_consumer(self, queue, worker, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.channel.queue_declare(queue, passive=True).method.consumer_count > 0:
                return
            if not worker.alive():
                raise RuntimeError(f"the worker exited before consuming {queue}:\n{worker.tail()}")
            self.connection.sleep(0.05)
        raise RuntimeError(f"no consumer on {queue} after {timeout:.0f} s:\n{worker.tail()}")

    def publish(self, queue, record):
        self.publisher.publish(queue, record)

    def close(self):
        try:
            self.connection.close()
        except Exception:  # noqa: BLE001 - closing on the way out
            pass


class Watcher(threading.Thread):
    """Consumes `queue` on its own connection and notes when each message arrived (time.monotonic()) and its body;
    `ready` is set once it is consuming."""

    def __init__(self, url, queue):
        super().__init__(daemon=True)
        self.url, self.queue = url, queue
        self.arrivals = []
        self.ready = threading.Event()
        self.done = threading.Event()
        self.error = None

    def run(self):
        try:
            connection = connect(self.url)
            channel = connection.channel()
            channel.queue_declare(self.queue, passive=True)
            channel.basic_qos(prefetch_count=100)
            stream = channel.consume(self.queue, inactivity_timeout=0.1)
            self.ready.set()
            for method, _, body in stream:
                if method is not None:
                    self.arrivals.append((time.monotonic(), json.loads(body)))
                    channel.basic_ack(method.delivery_tag)
                elif self.done.is_set():
                    break
            channel.cancel()
            connection.close()
        except Exception as error:  # noqa: BLE001 - reported by the bench
            self.error = error
            self.ready.set()

    def wait_for(self, count, timeout):
        deadline = time.monotonic() + timeout
        while len(self.arrivals) < count and time.monotonic() < deadline and self.error is None:
            time.sleep(0.02)
        return len(self.arrivals) >= count

    def stop(self):
        self.done.set()
        self.join(10)
