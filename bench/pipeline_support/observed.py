"""What the `observed` variant of bench/pipeline runs beside the worker: an OTLP/HTTP receiver that takes every
span batch (and counts the requests), and a scraper that reads the worker's /metrics every second, as a collector
and Prometheus would. Both are threads of the bench, outside the worker's measured process tree."""
import http.server
import socketserver
import threading
import time
import urllib.request


class _Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.batches += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_):
        pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    batches = 0


class Observers:
    """The receiver (started once) and a scraper per run."""

    def __init__(self):
        self.server = _Server(("127.0.0.1", 0), _Sink)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    def environment(self, metrics_port):
        return {"OTEL_EXPORTER_OTLP_ENDPOINT": self.endpoint, "OTEL_SERVICE_NAME": "bench-m0",
                "METRICS_LISTEN": f"127.0.0.1:{metrics_port}"}

    def scrape(self, metrics_port):
        """Starts scraping; returns a function that stops it and gives the number of scrapes answered."""
        stop, answered = threading.Event(), [0]

        def loop():
            while not stop.wait(1.0):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=2) as response:
                        response.read()
                    answered[0] += 1
                except OSError:
                    pass  # not listening yet, or gone

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()

        def stopped():
            stop.set()
            thread.join()
            return answered[0]
        return stopped

    def close(self):
        self.server.shutdown()


def without_telemetry(env):
    """The worker's environment with tracing and metrics off (nothing inherited turns them on)."""
    return {name: value for name, value in env.items()
            if not name.startswith("OTEL_") and name not in ("METRICS_LISTEN", "METRICS_FILE", "TRACEPARENT")}
