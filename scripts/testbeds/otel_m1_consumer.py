#!/usr/bin/env python3
"""M1 as a Python service would be written: a pika consumer that continues each message's trace with the
OpenTelemetry SDK (the W3C propagator reading the message's headers), for the tracing tests.

  otel_m1_consumer.py QUEUE COUNT     take COUNT messages from QUEUE (acking each), and for each print one JSON
                                      line: the span M1 started for it (trace_id, span_id, parent_span_id, in hex)
                                      and the traceparent header it read
The broker is $AMQP_URL.
"""
import json
import os
import sys

import pika
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator


def main(queue, count):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("m1")
    propagator = TraceContextTextMapPropagator()
    connection = pika.BlockingConnection(pika.URLParameters(os.environ["AMQP_URL"]))
    channel = connection.channel()
    taken = 0
    for method, properties, body in channel.consume(queue, inactivity_timeout=30):
        if method is None:
            sys.exit(f"otel_m1_consumer: only {taken} of {count} messages came")
        headers = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in (properties.headers or {}).items()}
        context = propagator.extract(carrier=headers)
        with tracer.start_as_current_span(f"{queue} process", context=context, kind=SpanKind.CONSUMER):
            pass
        channel.basic_ack(method.delivery_tag)
        span = exporter.get_finished_spans()[-1]
        print(json.dumps({
            "trace_id": format(span.context.trace_id, "032x"),
            "span_id": format(span.context.span_id, "016x"),
            "parent_span_id": format(span.parent.span_id, "016x") if span.parent else None,
            "traceparent": headers.get("traceparent"),
            "body": json.loads(body),
        }), flush=True)
        taken += 1
        if taken == count:
            break
    channel.cancel()
    connection.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
