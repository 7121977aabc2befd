#!/usr/bin/env python3
"""A real GraphQL server for clipline's tests and benchmark: examples/backend/schema.graphql over SQLite on disk.

Every request is parsed and validated against the schema by graphql-core and executed by it; the resolvers write
and read SQLite rows. Tests steer it through a small control API (not part of the GraphQL contract):

  POST /control/inject  {"kind": ..., "count": N, "scope": S, ...}  make the next N matching requests fail:
        kind "status"          answer HTTP `status` (e.g. 503, 429 with "retry_after" seconds) without executing
        kind "graphql_error"   the next N resolver calls raise a GraphQL error with "message"
        kind "delay"           sleep "seconds" before executing (the request still executes afterwards)
        kind "drop"            close the connection without an answer (a transport failure)
      `scope` matches the request header X-Test-Scope; without it an injection matches every request.
  GET  /rows/<table>?process_id=P   rows as JSON (batch_chunks, live_chunks, batch_video_processes,
                                    cam_video_processes, status_history)
  GET  /stats?scope=S               {"requests": n, "connections": n} seen with that X-Test-Scope
  GET  /health                      200 once ready

Authentication: every /graphql request needs `Authorization: Bearer <token>`; a missing or unknown token is 401,
the read-only token sending a mutation is 403.
"""
import argparse
import json
import secrets
import socket
import sqlite3
import sys
import threading
import time
from collections import OrderedDict
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from graphql import (GraphQLError, OperationDefinitionNode, OperationType, build_schema, execute, parse,
                     validate)
from graphql.language import StringValueNode

TABLES = {
    "batch_chunks": """CREATE TABLE IF NOT EXISTS batch_chunks (
        id INTEGER PRIMARY KEY, process_id TEXT NOT NULL, chunk_hash TEXT NOT NULL, chunk_duration REAL NOT NULL,
        start_time REAL NOT NULL, end_time REAL NOT NULL, time_offset REAL NOT NULL, cloud_path TEXT NOT NULL,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (process_id, chunk_hash))""",
    "live_chunks": """CREATE TABLE IF NOT EXISTS live_chunks (
        id INTEGER PRIMARY KEY, process_id TEXT NOT NULL, chunk_hash TEXT NOT NULL, chunk_duration REAL NOT NULL,
        start_time REAL NOT NULL, end_time REAL NOT NULL, time_offset REAL NOT NULL, cloud_path TEXT NOT NULL,
        chunk_start_time TEXT NOT NULL, chunk_end_time TEXT NOT NULL,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (process_id, chunk_hash))""",
    "batch_video_processes": """CREATE TABLE IF NOT EXISTS batch_video_processes (
        process_id TEXT PRIMARY KEY, status TEXT NOT NULL, updated_at TEXT NOT NULL)""",
    "cam_video_processes": """CREATE TABLE IF NOT EXISTS cam_video_processes (
        process_id TEXT PRIMARY KEY, status TEXT NOT NULL, updated_at TEXT NOT NULL)""",
    "status_history": """CREATE TABLE IF NOT EXISTS status_history (
        id INTEGER PRIMARY KEY, kind TEXT NOT NULL, process_id TEXT NOT NULL, from_status TEXT NOT NULL,
        to_status TEXT NOT NULL, at TEXT NOT NULL)""",
}

ALLOWED_MOVES = {("QUEUED", "PROCESSING"), ("QUEUED", "FAILED"), ("PROCESSING", "COMPLETED"), ("PROCESSING", "FAILED")}


def now_text():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_rfc3339(text):
    if not isinstance(text, str) or "T" not in text or not (text.endswith("Z") or "+" in text[10:] or
                                                            "-" in text[10:]):
        raise GraphQLError(f"DateTime must be RFC 3339 with a zone, e.g. 2026-02-26T14:30:00Z; got {text!r}")
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise GraphQLError(f"DateTime must be RFC 3339, e.g. 2026-02-26T14:30:00Z; got {text!r}")
    return value.astimezone(timezone.utc)


def format_rfc3339(value):
    if isinstance(value, str):
        return value
    text = value.astimezone(timezone.utc).isoformat()
    return text.replace("+00:00", "Z")


class Database:
    """One SQLite file; one connection behind a lock (SQLite serialises writers anyway)."""

    def __init__(self, path):
        self.connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.connection.row_factory = sqlite3.Row
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=NORMAL")
        for statement in TABLES.values():
            self.connection.execute(statement)
        self.lock = threading.Lock()

    def transaction(self, work):
        with self.lock:
            self.connection.execute("BEGIN IMMEDIATE")
            try:
                result = work(self.connection)
                self.connection.execute("COMMIT")
                return result
            except BaseException:
                self.connection.execute("ROLLBACK")
                raise

    def rows(self, table, process_id):
        if table not in TABLES:
            raise KeyError(table)
        with self.lock:
            if process_id is None:
                cursor = self.connection.execute(f"SELECT * FROM {table} ORDER BY rowid")
            else:
                cursor = self.connection.execute(f"SELECT * FROM {table} WHERE process_id = ? ORDER BY rowid",
                                                 (process_id,))
            return [dict(row) for row in cursor.fetchall()]


class Injections:
    """Failures the tests asked for, consumed in order by the requests (or resolver calls) they match."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pending = []

    def add(self, injection):
        injection.setdefault("count", 1)
        with self.lock:
            self.pending.append(injection)

    def take(self, kinds, scope):
        with self.lock:
            for injection in self.pending:
                if injection["kind"] in kinds and injection.get("scope") in (None, scope) and injection["count"] > 0:
                    injection["count"] -= 1
                    if injection["count"] == 0:
                        self.pending.remove(injection)
                    return dict(injection)
        return None


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = {}
        self.connections = {}

    def request(self, scope, first_on_connection):
        with self.lock:
            self.requests[scope] = self.requests.get(scope, 0) + 1
            if first_on_connection:
                self.connections[scope] = self.connections.get(scope, 0) + 1

    def of(self, scope):
        with self.lock:
            return {"requests": self.requests.get(scope, 0), "connections": self.connections.get(scope, 0)}


def chunk_row_to_graphql(row, live):
    result = {
        "id": str(row["id"]), "processId": row["process_id"], "chunkHash": row["chunk_hash"],
        "chunkDuration": row["chunk_duration"], "startTime": row["start_time"], "endTime": row["end_time"],
        "timeOffset": row["time_offset"], "cloudPath": row["cloud_path"], "createdAt": row["created_at"],
    }
    if live:
        result["chunkStartTime"] = row["chunk_start_time"]
        result["chunkEndTime"] = row["chunk_end_time"]
    return result


def process_row_to_graphql(row):
    return {"processId": row["process_id"], "status": row["status"], "updatedAt": row["updated_at"]}


class Backend:
    """The resolvers: the schema's fields over the database."""

    def __init__(self, schema, database, injections):
        self.database = database
        self.injections = injections
        mutation = schema.mutation_type.fields
        mutation["createBatchChunk"].resolve = lambda _, info, input: self.create_chunk(info, input, live=False)
        mutation["createLiveChunk"].resolve = lambda _, info, input: self.create_chunk(info, input, live=True)
        mutation["updateBatchVideoProcessingStatus"].resolve = \
            lambda _, info, input: self.update_status(info, input, "batch_video_processes")
        mutation["updateCamVideoProcessingStatus"].resolve = \
            lambda _, info, input: self.update_status(info, input, "cam_video_processes")
        query = schema.query_type.fields
        query["batchChunks"].resolve = lambda _, info, processId: self.chunks("batch_chunks", processId)
        query["liveChunks"].resolve = lambda _, info, processId: self.chunks("live_chunks", processId)
        query["batchVideoProcess"].resolve = lambda _, info, processId: self.process("batch_video_processes",
                                                                                      processId)
        query["camVideoProcess"].resolve = lambda _, info, processId: self.process("cam_video_processes", processId)
        date_time = schema.type_map["DateTime"]
        date_time.serialize = format_rfc3339
        date_time.parse_value = parse_rfc3339
        date_time.parse_literal = lambda node, _variables=None: parse_rfc3339(
            node.value if isinstance(node, StringValueNode) else None)

    def injected_failure(self, info):
        injection = self.injections.take({"graphql_error"}, info.context["scope"])
        if injection:
            raise GraphQLError(injection.get("message", "injected failure"))

    def create_chunk(self, info, data, live):
        self.injected_failure(info)
        if data["endTime"] < data["startTime"]:
            raise GraphQLError(f"endTime {data['endTime']} is before startTime {data['startTime']}")
        if data["chunkDuration"] <= 0:
            raise GraphQLError(f"chunkDuration must be positive, got {data['chunkDuration']}")
        columns = {
            "process_id": str(data["processId"]), "chunk_hash": data["chunkHash"],
            "chunk_duration": data["chunkDuration"], "start_time": data["startTime"], "end_time": data["endTime"],
            "time_offset": data["timeOffset"], "cloud_path": data["cloudPath"],
        }
        table = "live_chunks" if live else "batch_chunks"
        if live:
            if data["chunkEndTime"] < data["chunkStartTime"]:
                raise GraphQLError("chunkEndTime is before chunkStartTime")
            columns["chunk_start_time"] = format_rfc3339(data["chunkStartTime"])
            columns["chunk_end_time"] = format_rfc3339(data["chunkEndTime"])
        stamp = now_text()

        def write(connection):
            # Idempotent on (process_id, chunk_hash): a redelivered chunk updates its row.
            names = list(columns) + ["created_at", "updated_at"]
            values = list(columns.values()) + [stamp, stamp]
            updates = ", ".join(f"{name} = excluded.{name}" for name in list(columns) + ["updated_at"])
            connection.execute(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
                f"ON CONFLICT (process_id, chunk_hash) DO UPDATE SET {updates}", values)
            return connection.execute(f"SELECT * FROM {table} WHERE process_id = ? AND chunk_hash = ?",
                                      (columns["process_id"], columns["chunk_hash"])).fetchone()

        return chunk_row_to_graphql(self.database.transaction(write), live)

    def update_status(self, info, data, table):
        self.injected_failure(info)
        process_id = str(data["processId"])
        # graphql-core hands enum values over by name.
        status = data["status"]

        def write(connection):
            row = connection.execute(f"SELECT * FROM {table} WHERE process_id = ?", (process_id,)).fetchone()
            current = row["status"] if row else "QUEUED"
            stamp = now_text()
            if current == status and row:
                return row
            if current != status and (current, status) not in ALLOWED_MOVES:
                raise GraphQLError(f"process {process_id} cannot move from {current} to {status}")
            connection.execute(
                f"INSERT INTO {table} (process_id, status, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (process_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
                (process_id, status, stamp))
            if current != status:
                connection.execute(
                    "INSERT INTO status_history (kind, process_id, from_status, to_status, at) VALUES (?, ?, ?, ?, ?)",
                    ("batch" if table.startswith("batch") else "cam", process_id, current, status, stamp))
            return connection.execute(f"SELECT * FROM {table} WHERE process_id = ?", (process_id,)).fetchone()

        return process_row_to_graphql(self.database.transaction(write))

    def chunks(self, table, process_id):
        return [chunk_row_to_graphql(row, table == "live_chunks") for row in self.database.rows(table, str(process_id))]

    def process(self, table, process_id):
        rows = self.database.rows(table, str(process_id))
        return process_row_to_graphql(rows[0]) if rows else None


class DocumentCache:
    """Parsed and validated documents by their text, as production servers keep them: the same text against the
    same schema validates the same way, so only a new text is parsed and validated again."""

    def __init__(self, schema, size=512):
        self.schema = schema
        self.size = size
        self.lock = threading.Lock()
        self.entries = OrderedDict()

    def get(self, text):
        with self.lock:
            if text in self.entries:
                self.entries.move_to_end(text)
                return self.entries[text]
        try:
            document = parse(text)
            errors = validate(self.schema, document)
        except GraphQLError as error:
            document, errors = None, [error]
        with self.lock:
            self.entries[text] = (document, errors)
            if len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return document, errors


def operation_type(document, operation_name):
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            if operation_name is None or (definition.name and definition.name.value == operation_name):
                return definition.operation
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "clipline-graphql-testbed/1.0"

    def setup(self):
        super().setup()
        self.first_request = True
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):
        pass

    def send_json(self, status, body, content_type="application/json", headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        app = self.server.app
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path == "/health":
            return self.send_json(200, {"ok": True})
        if url.path == "/stats":
            return self.send_json(200, app.stats.of((query.get("scope") or [None])[0]))
        if url.path.startswith("/rows/"):
            table = url.path[len("/rows/"):]
            try:
                return self.send_json(200, app.database.rows(table, (query.get("process_id") or [None])[0]))
            except KeyError:
                return self.send_json(404, {"error": f"no table {table}"})
        self.send_json(404, {"error": "not found"})

    def do_POST(self):
        app = self.server.app
        url = urlparse(self.path)
        body = self.read_body()
        if url.path == "/control/inject":
            app.injections.add(json.loads(body))
            return self.send_json(200, {"ok": True})
        if url.path != "/graphql":
            return self.send_json(404, {"error": "not found"})
        scope = self.headers.get("X-Test-Scope")
        app.stats.request(scope, self.first_request)
        self.first_request = False
        self.answer_graphql(app, body, scope)

    def answer_graphql(self, app, body, scope):
        injection = app.injections.take({"status", "delay", "drop"}, scope)
        if injection and injection["kind"] == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if injection and injection["kind"] == "status":
            headers = [("Retry-After", str(injection["retry_after"]))] if "retry_after" in injection else []
            return self.send_json(injection["status"], {"errors": [{"message": "injected HTTP failure"}]},
                                  headers=headers)
        if injection and injection["kind"] == "delay":
            time.sleep(float(injection["seconds"]))

        content_type = ("application/graphql-response+json"
                        if "application/graphql-response+json" in (self.headers.get("Accept") or "")
                        else "application/json")
        token = (self.headers.get("Authorization") or "")
        role = app.tokens.get(token[len("Bearer "):]) if token.startswith("Bearer ") else None
        if role is None:
            message = "missing bearer token" if not token else "unknown bearer token"
            return self.send_json(401, {"errors": [{"message": message}]}, content_type,
                                  [("WWW-Authenticate", 'Bearer realm="graphql"')])
        try:
            request = json.loads(body)
            text = request["query"]
            variables = request.get("variables") or {}
            operation_name = request.get("operationName")
            if not isinstance(text, str) or not isinstance(variables, dict):
                raise ValueError("query must be a string and variables an object")
        except (ValueError, KeyError, TypeError) as error:
            return self.send_json(400, {"errors": [{"message": f"not a GraphQL request: {error}"}]}, content_type)

        document, errors = app.documents.get(text)
        if errors:
            status = 400 if content_type == "application/graphql-response+json" else 200
            return self.send_json(status, {"errors": [error.formatted for error in errors]}, content_type)
        if role == "read" and operation_type(document, operation_name) == OperationType.MUTATION:
            return self.send_json(403, {"errors": [{"message": "this token may only read"}]}, content_type)
        result = execute(app.schema, document, variable_values=variables, operation_name=operation_name,
                         context_value={"scope": scope})
        answer = {"data": result.data}
        if result.errors:
            answer["errors"] = [error.formatted for error in result.errors]
        status = 200
        if result.data is None and result.errors and content_type == "application/graphql-response+json":
            status = 400  # variables that do not coerce: a request error, per GraphQL over HTTP
        self.send_json(status, answer, content_type)


class App:
    def __init__(self, schema_path, database_path, tokens):
        with open(schema_path) as file:
            self.schema = build_schema(file.read())
        self.database = Database(database_path)
        self.injections = Injections()
        self.stats = Stats()
        self.backend = Backend(self.schema, self.database, self.injections)
        self.documents = DocumentCache(self.schema)
        self.tokens = tokens


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schema", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--bind", default="127.0.0.1", help="the address to listen on")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default=None, help="the read-write bearer token (random if not given)")
    parser.add_argument("--readonly-token", default=None)
    arguments = parser.parse_args()
    token = arguments.token or secrets.token_hex(16)
    readonly = arguments.readonly_token or secrets.token_hex(16)
    server = ThreadingHTTPServer((arguments.bind, arguments.port), Handler)
    server.daemon_threads = True
    server.app = App(arguments.schema, arguments.db, {token: "write", readonly: "read"})
    port = server.server_address[1]
    print(f"GRAPHQL_ENDPOINT=http://{arguments.bind}:{port}/graphql", flush=True)
    print(f"GRAPHQL_TOKEN={token}", flush=True)
    print(f"GRAPHQL_READONLY_TOKEN={readonly}", flush=True)
    print(f"GRAPHQL_CONTROL_URL=http://{arguments.bind}:{port}", flush=True)
    print(f"GRAPHQL_DATABASE={arguments.db}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
