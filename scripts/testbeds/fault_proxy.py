#!/usr/bin/env python3
"""A transparent HTTP proxy in front of a real server that injects faults, to prove retries and integrity checks
against the real thing:
  --fail-first N          answers the first N requests itself with a 503 SlowDown (-1: every request)
  --fail-query WORD       answers every request whose query string names WORD (e.g. tagging) with a 503 SlowDown
  --corrupt requests      flips one byte in the body of every PUT before forwarding it (the server must refuse it)
  --corrupt responses     flips one byte in the body of every GET answer (the client must notice)
  --hold-query WORD       holds the first request whose query string names WORD (e.g. tagging) until the test says
                          so: GET /_clipline/held answers once one is held, POST /_clipline/release lets it go on
Everything else is forwarded unchanged, Host header included (SigV4 signs it).

A slow link instead, for benchmarks (bytes pass unchanged, below HTTP, so keep-alive and chunked bodies just work):
  --rate MB_PER_S         each direction's capacity in MB/s (10^6 bytes), shared by every connection, like one link
  --latency MS            one-way delay in milliseconds, added to every byte in both directions
  --log FILE              appends what crossed the link: "TIME up|down BYTES" per 100 ms that carried any, and
                          "TIME request METHOD PATH" / "TIME answer STATUS" as they pass (TIME: Unix seconds)

    fault_proxy.py --port P --upstream http://127.0.0.1:S3PORT [--fail-first N] [--fail-query WORD] [--corrupt requests|responses]
    fault_proxy.py --port P --upstream http://127.0.0.1:S3PORT --rate 50 --latency 20 [--log FILE]
Prints "ready PORT" on stdout once listening (--port 0, the default: a port the kernel picks)."""
import argparse
import http.client
import queue
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLOW_DOWN = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
             b"<Message>Please reduce your request rate.</Message></Error>")


def flip(body):
    middle = len(body) // 2
    return body[:middle] + bytes([body[middle] ^ 0xFF]) + body[middle + 1:]


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def control(self):
        """The test's side of --hold-query; answers 200, or 504 when nothing was held within a minute."""
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path == "/_clipline/release":
            self.server.release.set()
            ok = True
        else:
            ok = self.server.held.wait(60)
        self.send_response(200 if ok else 504)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def hold(self, query):
        """Holds the first request naming --hold-query until the test releases it (at most ten minutes)."""
        word = self.server.hold_query
        if not word or word not in urllib.parse.parse_qs(query, keep_blank_values=True):
            return
        with self.server.lock:
            first = not self.server.held.is_set()
            self.server.held.set()
        if first:
            self.server.release.wait(600)

    def relay(self):
        if self.path.startswith("/_clipline/"):
            return self.control()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if body and self.command == "PUT" and self.server.corrupt == "requests":
            body = flip(body)
        with self.server.lock:
            self.server.seen += 1
            fail = self.server.fail_first < 0 or self.server.seen <= self.server.fail_first
        query = urllib.parse.urlsplit(self.path).query
        self.hold(query)
        if self.server.fail_query and self.server.fail_query in urllib.parse.parse_qs(query, keep_blank_values=True):
            fail = True
        if fail:
            self.send_response(503)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(SLOW_DOWN)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(SLOW_DOWN)
            return
        upstream = urllib.parse.urlsplit(self.server.upstream)
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
        # The Host header is passed through unchanged: the SigV4 signature covers it.
        headers = {name: value for name, value in self.headers.items()}
        connection.request(self.command, self.path, body=body, headers=headers)
        answer = connection.getresponse()
        payload = answer.read()
        if payload and self.command == "GET" and answer.status < 300 and self.server.corrupt == "responses":
            payload = flip(payload)
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        # A HEAD answer has no body but tells the object's size: pass that on, never the empty payload's 0.
        length = answer.getheader("Content-Length") if self.command == "HEAD" else None
        self.send_header("Content-Length", length if length is not None else str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = relay


HTTP_STARTS = (b"GET ", b"PUT ", b"POST ", b"HEAD ", b"DELETE ")


class LinkLog:
    """The link's timeline for --log: bytes per direction in 100 ms steps (by the time they left), and each HTTP
    request or answer seen at the start of a piece, written by one thread so the relays never wait on the file."""

    STEP = 0.1

    def __init__(self, path):
        self.file = open(path, "a", buffering=1)
        self.lock = threading.Lock()
        self.counts, self.events = {}, []
        threading.Thread(target=self.write_out, daemon=True).start()

    def carried(self, direction, size, sent):
        step = int((time.time() + sent - time.monotonic()) / self.STEP)
        with self.lock:
            self.counts[(step, direction)] = self.counts.get((step, direction), 0) + size

    def saw(self, direction, data):
        if direction == "up" and data.startswith(HTTP_STARTS):
            line = data.split(b"\r\n", 1)[0].rsplit(b" ", 1)[0].decode("latin-1")
            self.note(f"request {line[:200]}")
        elif direction == "down" and data.startswith(b"HTTP/1."):
            self.note(f"answer {data[9:12].decode('latin-1')}")

    def note(self, text):
        with self.lock:
            self.events.append(f"{time.time():.3f} {text}")

    def write_out(self):
        while True:
            time.sleep(0.5)
            done = int(time.time() / self.STEP) - 2
            with self.lock:
                ready = sorted(key for key in self.counts if key[0] < done)
                lines = [f"{step * self.STEP:.1f} {way} {self.counts.pop((step, way))}" for step, way in ready]
                lines, self.events = lines + self.events, []
            if lines:
                self.file.write("\n".join(lines) + "\n")


class Link:
    """One direction of a modelled network link: `rate` bytes a second of capacity shared by every connection in that
    direction, and `latency` seconds from the moment a byte is on the wire to its arrival."""

    def __init__(self, rate, latency, direction, log=None):
        self.rate, self.latency, self.direction, self.log = rate, latency, direction, log
        self.lock = threading.Lock()
        self.free_at = 0.0

    def reserve(self, data):
        """Queues `data` behind what is already on the link; returns (sent by, arrives at) in monotonic time."""
        with self.lock:
            start = max(time.monotonic(), self.free_at)
            self.free_at = start + (len(data) / self.rate if self.rate else 0.0)
            sent = self.free_at
        if self.log and data:
            self.log.carried(self.direction, len(data), sent)
            self.log.saw(self.direction, data)
        return sent, sent + self.latency


def sleep_until(moment):
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def carry(source, target, link):
    """Moves bytes from source to target over `link`: a reader paced by the link's capacity (so the sender feels
    the slow link through TCP's own back-pressure) and a writer that delivers each piece after the latency."""
    pieces = queue.Queue(maxsize=256)

    def deliver():
        broken = False
        while True:
            arrives, data = pieces.get()
            if broken:  # the target is gone: drain what the reader still hands over, until its end mark
                if data is None:
                    return
                continue
            sleep_until(arrives)
            try:
                if data is None:
                    target.shutdown(socket.SHUT_WR)
                    return
                target.sendall(data)
            except OSError:
                broken = True

    writer = threading.Thread(target=deliver, daemon=True)
    writer.start()
    try:
        while True:
            data = source.recv(65536)
            sent, arrives = link.reserve(data)
            sleep_until(sent)
            pieces.put((arrives, data or None))
            if not data:
                break
    except OSError:
        pieces.put((0.0, None))
    writer.join()


def serve_link(port, upstream, rate, latency, log_path=None):
    """A TCP relay to `upstream` that behaves like a link of `rate` bytes/s and `latency` s each way."""
    address = urllib.parse.urlsplit(upstream)
    log = LinkLog(log_path) if log_path else None
    up, down = Link(rate, latency, "up", log), Link(rate, latency, "down", log)
    listener = socket.create_server(("127.0.0.1", port))
    port = listener.getsockname()[1]

    def relay(client):
        try:
            server = socket.create_connection((address.hostname, address.port), timeout=60)
            server.settimeout(None)
        except OSError:
            client.close()
            return
        for end in (client, server):
            end.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        outbound = threading.Thread(target=carry, args=(client, server, up), daemon=True)
        outbound.start()
        carry(server, client, down)
        outbound.join()
        client.close()
        server.close()

    print(f"ready {port}", flush=True)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=relay, args=(client,), daemon=True).start()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--fail-query")
    parser.add_argument("--corrupt", choices=["requests", "responses"])
    parser.add_argument("--hold-query")
    parser.add_argument("--rate", type=float, help="a slow link: MB/s each way, shared by all connections")
    parser.add_argument("--latency", type=float, default=0.0, help="a slow link: one-way delay in ms")
    parser.add_argument("--log", help="a slow link: append its bytes per 100 ms and its HTTP requests to this file")
    args = parser.parse_args()
    if args.rate is not None or args.latency:
        if args.fail_first or args.fail_query or args.corrupt:
            parser.error("--rate/--latency model a link; they do not combine with --fail-first, --fail-query or --corrupt")
        return serve_link(args.port, args.upstream, (args.rate or 0.0) * 1e6, args.latency / 1000, args.log)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Proxy)
    server.daemon_threads = True
    server.upstream, server.fail_first, server.seen, server.lock = args.upstream, args.fail_first, 0, threading.Lock()
    server.corrupt, server.fail_query = args.corrupt, args.fail_query
    server.hold_query, server.held, server.release = args.hold_query, threading.Event(), threading.Event()
    print(f"ready {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
