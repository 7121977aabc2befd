#!/usr/bin/env python3
"""An OTLP/HTTP trace receiver for the tests, decoding with the OpenTelemetry project's own protobuf definitions
(opentelemetry-proto): every span of every POST /v1/traces becomes one JSON line in OUT.

  otlp_receiver.py PORT OUT [--status CODE]   listen on 127.0.0.1:PORT; answer CODE (default 200) to each POST
A body that is not an ExportTraceServiceRequest is answered 400 and written to OUT as {"error": ...}.
"""
import http.server
import json
import sys

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


def any_value(value):
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


def spans_of(request):
    for resource_spans in request.resource_spans:
        resource = {kv.key: any_value(kv.value) for kv in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield {
                    "trace_id": span.trace_id.hex(),
                    "span_id": span.span_id.hex(),
                    "parent_span_id": span.parent_span_id.hex() or None,
                    "trace_state": span.trace_state or None,
                    "name": span.name,
                    "kind": span.kind,
                    "start": span.start_time_unix_nano,
                    "end": span.end_time_unix_nano,
                    "attributes": {kv.key: any_value(kv.value) for kv in span.attributes},
                    "status": {"code": span.status.code, "message": span.status.message},
                    "flags": span.flags,
                    "scope": scope_spans.scope.name,
                    "resource": resource,
                }


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    status = int(sys.argv[sys.argv.index("--status") + 1]) if "--status" in sys.argv else 200

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            lines = []
            try:
                if self.path != "/v1/traces" or self.headers.get("Content-Type") != "application/x-protobuf":
                    raise ValueError(f"{self.path} {self.headers.get('Content-Type')}")
                request = ExportTraceServiceRequest.FromString(body)
                lines = [json.dumps(span) for span in spans_of(request)]
                code = status
            except Exception as error:  # noqa: BLE001 - whatever it is, the test should see it
                lines = [json.dumps({"error": str(error)})]
                code = 400
            with open(out, "a") as sink:
                for line in lines:
                    sink.write(line + "\n")
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(code)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
