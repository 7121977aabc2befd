#!/usr/bin/env python3
"""A small Azure Blob Storage REST endpoint for clipline's tests (no Azure emulator installs here).

Blobs live on disk under --root. Every request is authenticated the way Azure does it, and the signature is
computed by the azure-storage-blob package's own code: SharedKey through its SharedKeyCredentialPolicy, SAS
tokens (blob, container and account) through its BlobSharedAccessSignature / SharedAccessSignature generators.
Served: Create Container, List Blobs, Put Blob, Put Block, Put Block List, Get Blob (ranges, If-Match),
Get Block List (uncommitted block names, hashed), Get Blob Properties, Delete Blob, Get/Set Blob Tags, Put Blob
From URL (the server-side copy; the source's SAS is checked like any other). URLs are emulator-style: http://127.0.0.1:PORT/ACCOUNT/...
"""
import argparse
import base64
import datetime
import email.utils
import hashlib
import hmac
import json
import os
import re
import shutil
import tempfile
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from azure.core.pipeline import PipelineContext, PipelineRequest
from azure.core.pipeline.transport import HttpRequest
from azure.storage.blob._shared.authentication import SharedKeyCredentialPolicy
from azure.storage.blob._shared.shared_access_signature import SharedAccessSignature
from azure.storage.blob._shared_access_signature import BlobSharedAccessSignature


class BlobError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


class Storage:
    """Containers are directories; a blob is NAME.data + NAME.json (properties) under blobs/, named by hash."""

    def __init__(self, root):
        self.root = root
        self.lock = threading.Lock()

    def container_dir(self, container, must_exist=True):
        path = os.path.join(self.root, container)
        if must_exist and not os.path.isdir(path):
            raise BlobError(404, "ContainerNotFound", "The specified container does not exist.")
        return path

    def blob_paths(self, container, blob):
        digest = hashlib.sha256(blob.encode()).hexdigest()
        base = os.path.join(self.container_dir(container), "blobs", digest)
        return base + ".data", base + ".json"

    def blocks_dir(self, container, blob):
        digest = hashlib.sha256(blob.encode()).hexdigest()
        return os.path.join(self.container_dir(container), "blocks", digest)

    def properties(self, container, blob):
        data, meta = self.blob_paths(container, blob)
        try:
            with open(meta) as f:
                return json.load(f)
        except FileNotFoundError:
            raise BlobError(404, "BlobNotFound", "The specified blob does not exist.")

    def commit(self, container, blob, source_path, properties):
        data, meta = self.blob_paths(container, blob)
        os.makedirs(os.path.dirname(data), exist_ok=True)
        with self.lock:
            os.replace(source_path, data)
            with tempfile.NamedTemporaryFile("w", dir=os.path.dirname(meta), delete=False) as f:
                json.dump(properties, f)
            os.replace(f.name, meta)

    def delete(self, container, blob):
        data, meta = self.blob_paths(container, blob)
        with self.lock:
            if not os.path.exists(meta):
                raise BlobError(404, "BlobNotFound", "The specified blob does not exist.")
            os.remove(meta)
            os.remove(data)

    def list(self, container):
        directory = os.path.join(self.container_dir(container), "blobs")
        found = []
        if os.path.isdir(directory):
            for name in os.listdir(directory):
                if name.endswith(".json"):
                    with open(os.path.join(directory, name)) as f:
                        found.append(json.load(f))
        return sorted(found, key=lambda p: p["name"])


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "clipline-azure-blob-testbed"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            super().log_message(fmt, *args)

    # ---- plumbing

    def respond(self, status, body=b"", headers=None):
        self.send_response(status)
        headers = dict(headers or {})
        headers.setdefault("x-ms-request-id", str(uuid.uuid4()))
        headers.setdefault("x-ms-version", self.headers.get("x-ms-version", "2021-08-06"))
        headers.setdefault("Date", email.utils.formatdate(usegmt=True))
        if "Content-Length" not in headers:
            headers["Content-Length"] = str(len(body))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def fail(self, error):
        body = (
            '<?xml version="1.0" encoding="utf-8"?><Error><Code>%s</Code><Message>%s\nRequestId:%s</Message></Error>'
            % (error.code, escape(error.message), uuid.uuid4())
        ).encode()
        self.respond(error.status, body, {"Content-Type": "application/xml", "x-ms-error-code": error.code})

    def read_body(self, to_file=None):
        length = int(self.headers.get("Content-Length") or 0)
        md5 = hashlib.md5()
        remaining = length
        chunks = []
        while remaining > 0:
            piece = self.rfile.read(min(remaining, 1 << 20))
            if not piece:
                break
            md5.update(piece)
            remaining -= len(piece)
            if to_file:
                to_file.write(piece)
            else:
                chunks.append(piece)
        expected = self.headers.get("Content-MD5")
        if expected and base64.b64decode(expected) != md5.digest():
            raise BlobError(400, "Md5Mismatch", "The MD5 value specified in the request did not match the MD5 value calculated by the server.")
        return b"".join(chunks), md5.digest(), length - remaining

    # ---- authentication, by the SDK's own signing code

    def authenticate(self, container, blob, query, permission):
        account, key = self.server.account, self.server.key
        if "sig" in query:
            self.check_sas(container, blob, query, permission)
            return
        header = self.headers.get("Authorization", "")
        if not header.startswith("SharedKey "):
            raise BlobError(403, "NoAuthenticationInformation", "Server failed to authenticate the request.")
        date = self.headers.get("x-ms-date") or self.headers.get("Date")
        try:
            sent = email.utils.parsedate_to_datetime(date)
        except (TypeError, ValueError):
            raise BlobError(403, "AuthenticationFailed", "The x-ms-date header is missing or invalid.")
        if abs((now() - sent).total_seconds()) > 15 * 60:
            raise BlobError(403, "AuthenticationFailed", "Request date header too old.")
        url = "http://%s%s" % (self.headers.get("Host", "127.0.0.1"), self.path)
        headers = {name: value for name, value in self.headers.items() if name.lower() != "authorization"}
        request = PipelineRequest(HttpRequest(self.command, url, headers=headers), PipelineContext(None))
        SharedKeyCredentialPolicy(account, key).on_request(request)
        expected = request.http_request.headers["Authorization"]
        if not hmac.compare_digest(expected, header):
            raise BlobError(
                403, "AuthenticationFailed",
                "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.")

    def check_sas(self, container, blob, query, permission):
        account, key = self.server.account, self.server.key
        q = {name: values[0] for name, values in query.items()}
        common = dict(permission=q.get("sp"), expiry=q.get("se"), start=q.get("st"), ip=q.get("sip"), protocol=q.get("spr"))
        content = dict(
            cache_control=q.get("rscc"), content_disposition=q.get("rscd"), content_encoding=q.get("rsce"),
            content_language=q.get("rscl"), content_type=q.get("rsct"))
        if "ss" in q:
            signer = SharedAccessSignature(account, key, x_ms_version=q.get("sv"))
            token = signer.generate_account(services=q.get("ss"), resource_types=q.get("srt"), **common)
        else:
            signer = BlobSharedAccessSignature(account, key)
            signer.x_ms_version = q.get("sv")
            if q.get("sr") == "b":
                token = signer.generate_blob(container, blob or "", policy_id=q.get("si"), **common, **content)
            elif q.get("sr") == "c":
                token = signer.generate_container(container, policy_id=q.get("si"), **common, **content)
            else:
                raise BlobError(403, "AuthenticationFailed", "Unsupported signed resource.")
        expected = urllib.parse.parse_qs(token)["sig"][0]
        if not hmac.compare_digest(expected, q["sig"]):
            raise BlobError(403, "AuthenticationFailed", "Signature did not match.")
        if q.get("se") and now() > parse_time(q["se"]):
            raise BlobError(403, "AuthenticationFailed", "Signed expiry time has passed.")
        if q.get("st") and now() < parse_time(q["st"]) - datetime.timedelta(minutes=5):
            raise BlobError(403, "AuthenticationFailed", "Signed start time is in the future.")
        granted = q.get("sp", "")
        if not any(letter in granted for letter in permission):
            raise BlobError(403, "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission.")

    # ---- dispatch

    def handle_any(self):
        parsed = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
        parts = parsed.path.split("/", 3)  # "", account, container, blob
        try:
            if len(parts) < 3 or parts[1] != self.server.account or not parts[2]:
                raise BlobError(400, "InvalidUri", "Expected /%s/container[/blob]." % self.server.account)
            container = urllib.parse.unquote(parts[2])
            blob = urllib.parse.unquote(parts[3]) if len(parts) > 3 and parts[3] else None
            comp = query.get("comp", [None])[0]
            if blob is None:
                self.container_operation(container, query, comp)
            else:
                self.blob_operation(container, blob, query, comp)
        except BlobError as error:
            if self.command in ("PUT", "POST"):
                self.drain()
            self.fail(error)

    def drain(self):
        try:
            remaining = int(self.headers.get("Content-Length") or 0)
            while remaining > 0:
                piece = self.rfile.read(min(remaining, 1 << 20))
                if not piece:
                    break
                remaining -= len(piece)
        except OSError:
            pass

    do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = handle_any

    def container_operation(self, container, query, comp):
        storage = self.server.storage
        if self.command == "PUT" and query.get("restype") == ["container"] and comp is None:
            self.authenticate(container, None, query, "cw")
            path = storage.container_dir(container, must_exist=False)
            if os.path.isdir(path):
                raise BlobError(409, "ContainerAlreadyExists", "The specified container already exists.")
            os.makedirs(path)
            self.respond(201, headers={"ETag": '"0x%X"' % int(now().timestamp() * 1000)})
        elif self.command == "GET" and comp == "list":
            self.authenticate(container, None, query, "l")
            prefix = query.get("prefix", [""])[0]
            marker = query.get("marker", [""])[0]
            limit = int(query.get("maxresults", ["5000"])[0])
            blobs = [p for p in storage.list(container) if p["name"].startswith(prefix) and p["name"] > marker]
            page, rest = blobs[:limit], blobs[limit:]
            items = "".join(
                "<Blob><Name>%s</Name><Properties><Content-Length>%d</Content-Length><Etag>%s</Etag>"
                "<Content-Type>%s</Content-Type><BlobType>BlockBlob</BlobType></Properties></Blob>"
                % (escape(p["name"]), p["size"], p["etag"], escape(p["content_type"]))
                for p in page)
            next_marker = escape(page[-1]["name"]) if rest else ""
            body = (
                '<?xml version="1.0" encoding="utf-8"?><EnumerationResults ContainerName="%s"><Prefix>%s</Prefix>'
                "<Blobs>%s</Blobs><NextMarker>%s</NextMarker></EnumerationResults>"
                % (escape(container), escape(prefix), items, next_marker)).encode()
            self.respond(200, body, {"Content-Type": "application/xml"})
        else:
            raise BlobError(400, "UnsupportedHttpVerb", "This testbed does not serve that container operation.")

    def blob_headers(self, props):
        headers = {
            "ETag": props["etag"], "Last-Modified": props["last_modified"], "Content-Type": props["content_type"],
            "x-ms-blob-type": "BlockBlob", "Accept-Ranges": "bytes", "x-ms-tag-count": str(len(props["tags"])),
        }
        if props.get("md5"):
            headers["Content-MD5"] = props["md5"]
        for name, value in props["metadata"].items():
            headers["x-ms-meta-" + name] = value
        return headers

    def new_properties(self, blob, size, content_type, md5, prefix):
        metadata = {name[len("x-ms-meta-"):]: value for name, value in self.headers.items() if name.lower().startswith("x-ms-meta-")}
        tags = dict(urllib.parse.parse_qsl(self.headers.get("x-ms-tags", ""), keep_blank_values=True))
        return {
            "name": blob, "size": size, "content_type": content_type or "application/octet-stream",
            "md5": md5, "metadata": metadata, "tags": tags, "etag": '"0x%s"' % uuid.uuid4().hex[:16].upper(),
            "last_modified": email.utils.formatdate(usegmt=True),
        }

    def put_blob_from_url(self, container, blob):
        """Put Blob From URL: the source is a blob of this account, read through its SAS (checked by the SDK's
        signing code like any SAS); the destination gets its own content type, metadata and tags."""
        storage = self.server.storage
        if self.headers.get("x-ms-blob-type") != "BlockBlob":
            raise BlobError(400, "InvalidHeaderValue", "Only BlockBlob is served here.")
        source = urllib.parse.urlsplit(self.headers["x-ms-copy-source"])
        source_parts = source.path.split("/", 3)
        if len(source_parts) < 4 or source_parts[1] != self.server.account:
            raise BlobError(400, "CannotVerifyCopySource", "The copy source is not a blob of this account.")
        source_container = urllib.parse.unquote(source_parts[2])
        source_blob = urllib.parse.unquote(source_parts[3])
        source_query = urllib.parse.parse_qs(source.query, keep_blank_values=True)
        if "sig" not in source_query:
            raise BlobError(401, "CannotVerifyCopySource", "The copy source needs a SAS.")
        self.check_sas(source_container, source_blob, source_query, "r")
        source_props = storage.properties(source_container, source_blob)
        if_match = self.headers.get("x-ms-source-if-match")
        if if_match and if_match not in ("*", source_props["etag"]):
            raise BlobError(412, "SourceConditionNotMet", "The source condition specified using HTTP conditional header(s) is not met.")
        source_data, _ = storage.blob_paths(source_container, source_blob)
        directory = os.path.join(storage.container_dir(container), "blobs")
        os.makedirs(directory, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, delete=False) as out, open(source_data, "rb") as f:
            shutil.copyfileobj(f, out)
        props = self.new_properties(
            blob, source_props["size"], self.headers.get("x-ms-blob-content-type"), source_props.get("md5"), "")
        storage.commit(container, blob, out.name, props)
        self.respond(201, headers={"ETag": props["etag"], "x-ms-request-server-encrypted": "true"})

    def blob_operation(self, container, blob, query, comp):
        storage = self.server.storage
        method = self.command
        if method == "PUT" and comp is None and self.headers.get("x-ms-copy-source"):
            self.authenticate(container, blob, query, "cw")
            self.put_blob_from_url(container, blob)
        elif method == "PUT" and comp is None:
            self.authenticate(container, blob, query, "cw")
            if self.headers.get("x-ms-blob-type") != "BlockBlob":
                raise BlobError(400, "InvalidHeaderValue", "Only BlockBlob is served here.")
            directory = os.path.join(storage.container_dir(container), "blobs")
            os.makedirs(directory, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=directory, delete=False) as f:
                try:
                    _, md5, size = self.read_body(f)
                except BlobError:
                    os.unlink(f.name)
                    raise
            props = self.new_properties(blob, size, self.headers.get("Content-Type"), base64.b64encode(md5).decode(), "")
            storage.commit(container, blob, f.name, props)
            self.respond(201, headers={"ETag": props["etag"], "Content-MD5": props["md5"], "x-ms-request-server-encrypted": "true"})
        elif method == "PUT" and comp == "block":
            self.authenticate(container, blob, query, "w")
            block_id = query.get("blockid", [""])[0]
            if not block_id:
                raise BlobError(400, "InvalidQueryParameterValue", "blockid is required.")
            directory = storage.blocks_dir(container, blob)
            os.makedirs(directory, exist_ok=True)
            target = os.path.join(directory, hashlib.sha256(block_id.encode()).hexdigest())
            with tempfile.NamedTemporaryFile(dir=directory, delete=False, prefix=".tmp") as f:
                try:
                    _, md5, _ = self.read_body(f)
                except BlobError:
                    os.unlink(f.name)
                    raise
            os.replace(f.name, target)
            self.respond(201, headers={"Content-MD5": base64.b64encode(md5).decode()})
        elif method == "PUT" and comp == "blocklist":
            self.authenticate(container, blob, query, "w")
            body, _, _ = self.read_body()
            ids = [element.text for element in ElementTree.fromstring(body)]
            directory = storage.blocks_dir(container, blob)
            blobs_dir = os.path.join(storage.container_dir(container), "blobs")
            os.makedirs(blobs_dir, exist_ok=True)
            size = 0
            with tempfile.NamedTemporaryFile(dir=blobs_dir, delete=False) as out:
                for block_id in ids:
                    part = os.path.join(directory, hashlib.sha256(block_id.encode()).hexdigest())
                    if not os.path.exists(part):
                        os.unlink(out.name)
                        raise BlobError(400, "InvalidBlockList", "The specified block list is invalid.")
                    with open(part, "rb") as f:
                        size += os.fstat(f.fileno()).st_size
                        shutil.copyfileobj(f, out)
            props = self.new_properties(
                blob, size, self.headers.get("x-ms-blob-content-type"), self.headers.get("x-ms-blob-content-md5"), "")
            storage.commit(container, blob, out.name, props)
            shutil.rmtree(directory, ignore_errors=True)
            self.respond(201, headers={"ETag": props["etag"]})
        elif method in ("GET", "HEAD") and comp is None:
            self.authenticate(container, blob, query, "r")
            props = storage.properties(container, blob)
            if_match = self.headers.get("If-Match")
            if if_match and if_match not in ("*", props["etag"]):
                raise BlobError(412, "ConditionNotMet", "The condition specified using HTTP conditional header(s) is not met.")
            data, _ = storage.blob_paths(container, blob)
            headers = self.blob_headers(props)
            span = self.headers.get("x-ms-range") or self.headers.get("Range")
            start, end, status = 0, props["size"] - 1, 200
            if span and method == "GET":
                match = re.fullmatch(r"bytes=(\d+)-(\d*)", span)
                if not match or int(match.group(1)) >= props["size"]:
                    raise BlobError(416, "InvalidRange", "The range specified is invalid for the current size of the resource.")
                start = int(match.group(1))
                end = min(int(match.group(2)) if match.group(2) else end, props["size"] - 1)
                status = 206
                headers["Content-Range"] = "bytes %d-%d/%d" % (start, end, props["size"])
                headers.pop("Content-MD5", None)
            length = max(0, end - start + 1)
            headers["Content-Length"] = str(length)
            self.respond(status, b"", headers)
            if method == "GET" and length:
                with open(data, "rb") as f:
                    f.seek(start)
                    remaining = length
                    while remaining > 0:
                        piece = f.read(min(remaining, 1 << 20))
                        if not piece:
                            break
                        self.wfile.write(piece)
                        remaining -= len(piece)
        elif method == "DELETE" and comp is None:
            self.authenticate(container, blob, query, "d")
            storage.delete(container, blob)
            self.respond(202, headers={"x-ms-delete-type-permanent": "true"})
        elif method == "GET" and comp == "blocklist":
            self.authenticate(container, blob, query, "r")
            directory = storage.blocks_dir(container, blob)
            names = sorted(n for n in os.listdir(directory) if not n.startswith(".")) if os.path.isdir(directory) else []
            blocks = "".join(
                "<Block><Name>%s</Name><Size>%d</Size></Block>" % (name, os.path.getsize(os.path.join(directory, name)))
                for name in names)
            body = ('<?xml version="1.0" encoding="utf-8"?><BlockList><CommittedBlocks/>'
                    "<UncommittedBlocks>%s</UncommittedBlocks></BlockList>" % blocks).encode()
            self.respond(200, body, {"Content-Type": "application/xml"})
        elif method == "GET" and comp == "tags":
            self.authenticate(container, blob, query, "t")
            props = storage.properties(container, blob)
            tags = "".join(
                "<Tag><Key>%s</Key><Value>%s</Value></Tag>" % (escape(k), escape(v)) for k, v in sorted(props["tags"].items()))
            body = ('<?xml version="1.0" encoding="utf-8"?><Tags><TagSet>%s</TagSet></Tags>' % tags).encode()
            self.respond(200, body, {"Content-Type": "application/xml"})
        elif method == "PUT" and comp == "tags":
            self.authenticate(container, blob, query, "t")
            body, _, _ = self.read_body()
            props = storage.properties(container, blob)
            root = ElementTree.fromstring(body)
            props["tags"] = {tag.findtext("Key"): tag.findtext("Value") or "" for tag in root.iter("Tag")}
            data, meta = storage.blob_paths(container, blob)
            with open(meta, "w") as f:
                json.dump(props, f)
            self.respond(204)
        else:
            raise BlobError(400, "UnsupportedHttpVerb", "This testbed does not serve that blob operation.")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bind", default="127.0.0.1", help="the address to listen on")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--account", required=True)
    parser.add_argument("--key", required=True, help="base64 account key")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.root, exist_ok=True)
    server = ThreadingHTTPServer((args.bind, args.port), Handler)
    server.daemon_threads = True
    server.account, server.key, server.verbose = args.account, args.key, args.verbose
    server.storage = Storage(args.root)
    server.serve_forever()


if __name__ == "__main__":
    main()
