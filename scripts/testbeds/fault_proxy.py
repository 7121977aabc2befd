#!/usr/bin/env python3
"""A transparent HTTP proxy in front of a real server that injects faults, to prove retries and integrity checks
against the real thing:
  --fail-first N          answers the first N requests itself with a 503 SlowDown (-1: every request)
  --corrupt requests      flips one byte in the body of every PUT before forwarding it (the server must refuse it)
  --corrupt responses     flips one byte in the body of every GET answer (the client must notice)
Everything else is forwarded unchanged, Host header included (SigV4 signs it).

    fault_proxy.py --port P --upstream http://127.0.0.1:S3PORT [--fail-first N] [--corrupt requests|responses]
Prints "ready" on stdout once listening."""
import argparse
import http.client
import sys
import threading
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

    def relay(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if body and self.command == "PUT" and self.server.corrupt == "requests":
            body = flip(body)
        with self.server.lock:
            self.server.seen += 1
            fail = self.server.fail_first < 0 or self.server.seen <= self.server.fail_first
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
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = relay


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--corrupt", choices=["requests", "responses"])
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Proxy)
    server.daemon_threads = True
    server.upstream, server.fail_first, server.seen, server.lock = args.upstream, args.fail_first, 0, threading.Lock()
    server.corrupt = args.corrupt
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
