#!/usr/bin/env python3
"""A slow HTTP file server, to test reading a source while it downloads:
  GET /NAME?kb=K            sends the file K KB every 50 ms (default 64)
           &hold=1          ... but keeps its last 64 KB until someone requests /release
           &fail_at=N       ... but closes the connection when it reaches byte N of the file (every time)
           &fail_once_at=N  ... the same, for the first such request only (later ones are served whole)
  Range requests (bytes=A- or bytes=A-B) get 206, unless the server runs with --no-ranges (then 200, whole file).
  GET /status               {"held": true while a transfer waits for /release, "completed": transfers sent whole,
                             "bytes_sent": file bytes sent in all, "ranges": the Range headers received, in order}
  GET /release              lets held transfers finish
  GET /redirect/N/NAME?…    answers 302 to /redirect/N-1/NAME?… (and /NAME?… after the last hop)

    trickle_server.py --directory DIR [--no-ranges]
Prints "ready PORT" on stdout once listening (on an ephemeral port of 127.0.0.1)."""
import argparse
import json
import os
import re
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HELD_TAIL = 64 * 1024
released = threading.Event()
state_lock = threading.Lock()
state = {"held": False, "completed": 0, "bytes_sent": 0, "ranges": []}
failed_once = set()


class Trickle(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def answer_json(self, value):
        body = json.dumps(value).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/status":
            with state_lock:
                return self.answer_json(dict(state))
        if url.path.startswith("/redirect/"):
            hops, name = url.path.split("/", 3)[2:]
            target = (f"/redirect/{int(hops) - 1}/{name}" if int(hops) > 1 else f"/{name}")
            self.send_response(302)
            self.send_header("Location", target + ("?" + url.query if url.query else ""))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if url.path == "/release":
            released.set()
            return self.answer_json({"released": True})
        path = os.path.join(self.server.directory, os.path.basename(url.path))
        if not os.path.isfile(path):
            self.send_error(404)
            return
        size = os.path.getsize(path)
        start, end = 0, size - 1
        ranged = False
        if self.headers.get("Range"):
            with state_lock:
                state["ranges"].append(self.headers["Range"])
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if match and self.server.ranges:
            ranged = True
            start = int(match.group(1))
            end = min(size - 1, int(match.group(2))) if match.group(2) else size - 1
        self.send_response(206 if ranged else 200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(end - start + 1))
        if ranged:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        if self.server.ranges:
            self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        piece = int(query.get("kb", "64")) * 1024
        fail_at = int(query["fail_at"]) if "fail_at" in query else None
        if "fail_once_at" in query:
            with state_lock:
                if url.path not in failed_once:
                    failed_once.add(url.path)
                    fail_at = int(query["fail_once_at"])
        hold = query.get("hold") == "1" and not ranged
        sent = 0
        with open(path, "rb") as source:
            source.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                if hold and remaining <= HELD_TAIL:
                    with state_lock:
                        state["held"] = True
                    released.wait()
                    with state_lock:
                        state["held"] = False
                    hold = False
                count = min(piece, remaining)
                if hold:
                    count = min(count, remaining - HELD_TAIL)
                if fail_at is not None:
                    count = min(count, fail_at - (start + sent))
                    if count <= 0:
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                self.wfile.write(source.read(count))
                self.wfile.flush()
                with state_lock:
                    state["bytes_sent"] += count
                sent += count
                remaining -= count
                time.sleep(0.05)
        if not ranged:
            with state_lock:
                state["completed"] += 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--directory", required=True)
    parser.add_argument("--no-ranges", action="store_true")
    arguments = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    server.daemon_threads = True
    server.directory = arguments.directory
    server.ranges = not arguments.no_ranges
    print(f"ready {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
