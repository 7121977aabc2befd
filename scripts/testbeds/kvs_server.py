#!/usr/bin/env python3
"""A Kinesis Video Streams test endpoint: moto's server, patched where moto 5.2 falls short of KVS.

moto answers the control plane (CreateStream, DescribeStream, ListStreams, GetDataEndpoint). This launcher
imports moto before starting its server and fixes what tests of a real KVS client need:
  - GetDataEndpoint returns this server's own URL, so the data plane is reachable;
  - the archived-media paths (/getClip, /listFragments, /getHLSStreamingSessionURL) are answered here instead of
    landing in moto's control-plane app (moto routes by the SigV4 service, and both planes sign as kinesisvideo);
  - GetClip returns a real MP4, cut by stream copy with ffmpeg from the stream's test video for the requested
    TimestampRange, with KVS's limits: fragments that start before StartTimestamp are dropped, at most the first
    200 fragments or 100 MB, ranges up to 24 h;
  - a stream's status comes from its tag `clipline:status` (moto says ACTIVE always);
  - ListStreams pages with MaxResults/NextToken and honours StreamNameCondition BEGINS_WITH;
  - PutMedia takes a real producer's Matroska stream (ffmpeg) and GetMedia sends it back in KVS's wire format, with
    its selectors, reader limit, error tags and session cuts (kvs_media.py says how, and its control paths).

A stream's media is its tags: `clipline:media` (a local MP4 path) starts at producer time `clipline:media_start`
(RFC 3339 or epoch seconds). Fragments are the video's GOPs. Without `clipline:media`, a stream's fragments are those
PutMedia received (ListFragments lists the whole ones, GetClip remuxes them to MP4), if any.
`clipline:server_offset` (seconds) puts SERVER_TIMESTAMP after PRODUCER_TIMESTAMP; `clipline:max_fragments` lowers
GetClip's 200-fragment cap for that stream.

Test control, on the same port (tests drive failures and read counters here, never through moto):
  GET  /_clipline/requests             calls per operation since the last reset, e.g. {"ListStreams": 3}
  POST /_clipline/reset                zero the counters, drop injected failures
  POST /_clipline/inject               {"operation": "GetClip", "error": "ClientLimitExceededException",
                                        "count": 2, "status": 400, "message": "…"}: the next `count` calls fail
  POST /_clipline/endpoint            {"url": "http://127.0.0.1:1", "count": 1}: the next GetDataEndpoint answers
                                       name that URL (a data endpoint that moved away)
  POST /_clipline/streams              {"prefix": "bulk-", "count": 2500, "region": "us-east-1", "tags": {…}}
  POST /_clipline/streams/delete       {"name": NAME}: the stream is deleted (as DeleteStream does, unsigned)
Prints AWS_ENDPOINT_URL_KINESIS_VIDEO and the test credentials once it answers.
"""
import argparse
import base64
import datetime
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

from kvs_media import LiveMedia, json_body
from moto.core import DEFAULT_ACCOUNT_ID
from moto.kinesisvideo import models as kvs_models
from moto.kinesisvideo.exceptions import ResourceNotFoundException as MotoNotFound
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

CLIP_FRAGMENT_LIMIT = 200
CLIP_BYTE_LIMIT = 100 * 1024 * 1024
CLIP_RANGE_LIMIT = 24 * 3600

OPERATIONS = {
    "/createStream": "CreateStream", "/describeStream": "DescribeStream", "/listStreams": "ListStreams",
    "/deleteStream": "DeleteStream", "/getDataEndpoint": "GetDataEndpoint", "/getClip": "GetClip",
    "/listFragments": "ListFragments", "/getHLSStreamingSessionURL": "GetHLSStreamingSessionURL",
    "/listTagsForStream": "ListTagsForStream", "/getMedia": "GetMedia", "/putMedia": "PutMedia",
}


class KVSError(Exception):
    def __init__(self, name, message, status=400):
        super().__init__(message)
        self.name, self.message, self.status = name, message, status

    def response(self):
        body = json.dumps({"__type": self.name, "message": self.message, "Message": self.message})
        return Response(body, status=self.status, content_type="application/json",
                        headers={"x-amzn-ErrorType": f"{self.name}:http://internal.amazon.com/coral/"})


class Testbed:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.injected = {}  # operation -> list of pending failures
        self.self_url = ""
        self.moved_endpoints = []  # the next GetDataEndpoint answers, before this server's own URL
        self.keyframes = {}  # media path -> [(offset, length, bytes)]
        self.cuts = {}  # (path, first, last) -> cut file
        self.cut_dir = tempfile.mkdtemp(prefix="kvs-testbed-")
        self.live = LiveMedia(self.cut_dir)

    # --- patches into moto -------------------------------------------------------------------------------
    def install(self):
        testbed = self
        original_to_dict = kvs_models.Stream.to_dict

        def get_data_endpoint(stream, api_name):
            with testbed.lock:
                if testbed.moved_endpoints:
                    return testbed.moved_endpoints.pop(0)
            return testbed.self_url

        def to_dict(stream):
            info = original_to_dict(stream)
            info["Status"] = (stream.tags or {}).get("clipline:status", "ACTIVE")
            return info

        kvs_models.Stream.get_data_endpoint = get_data_endpoint
        kvs_models.Stream.to_dict = to_dict

    # --- WSGI ----------------------------------------------------------------------------------------------
    def wrap(self, app):
        def application(environ, start_response):
            request = Request(environ)
            path = request.path
            if path.startswith("/_clipline/"):
                return self.control(request)(environ, start_response)
            operation = OPERATIONS.get(path)
            if operation:
                with self.lock:
                    self.counts[operation] = self.counts.get(operation, 0) + 1
                    pending = self.injected.get(operation) or []
                    failure = pending.pop(0) if pending else None
                if failure:
                    return failure.response()(environ, start_response)
                if operation in ("GetMedia", "PutMedia"):
                    try:
                        media = self.get_media if operation == "GetMedia" else self.put_media
                        return media(request, environ)(environ, start_response)
                    except KVSError as error:
                        return error.response()(environ, start_response)
                handler = {"GetClip": self.get_clip, "ListFragments": self.list_fragments,
                           "GetHLSStreamingSessionURL": self.get_hls_url,
                           "ListTagsForStream": self.list_tags, "ListStreams": self.list_streams}.get(operation)
                if handler:
                    try:
                        return handler(request)(environ, start_response)
                    except KVSError as error:
                        return error.response()(environ, start_response)
                # Body is read again by moto; werkzeug caches it in the environ stream wrapper.
                environ["wsgi.input"] = _Replay(request.get_data())
                environ["CONTENT_LENGTH"] = str(len(request.get_data()))
                try:
                    return app(environ, start_response)
                except KVSError as error:
                    return error.response()(environ, start_response)
            return app(environ, start_response)

        return application

    def control(self, request):
        path = request.path
        if path.startswith("/_clipline/media/"):
            body = request.get_json(force=True, silent=True) or {}
            answer = self.live.control(path, body, request.args, lambda name: self.stream_key(request, name))
            return json_response(answer) if answer is not None else Response("unknown control path", status=404)
        if path == "/_clipline/requests":
            with self.lock:
                return json_response(dict(self.counts))
        body = request.get_json(force=True, silent=True) or {}
        if path == "/_clipline/reset":
            with self.lock:
                self.counts.clear()
                self.injected.clear()
                self.moved_endpoints.clear()
            return json_response({})
        if path == "/_clipline/inject":
            failure = KVSError(body["error"], body.get("message", f"injected {body['error']}"),
                               int(body.get("status", 400)))
            with self.lock:
                self.injected.setdefault(body["operation"], []).extend([failure] * int(body.get("count", 1)))
            return json_response({})
        if path == "/_clipline/endpoint":
            with self.lock:
                self.moved_endpoints.extend([body["url"]] * int(body.get("count", 1)))
            return json_response({})
        if path == "/_clipline/streams":
            backend = self.backend(body.get("region", "us-east-1"))
            names = [body["name"]] if "name" in body else \
                [f"{body.get('prefix', 'stream-')}{index:05d}" for index in range(int(body["count"]))]
            for name in names:
                if not any(s.stream_name == name for s in backend.streams.values()):
                    backend.create_stream("device", name, body.get("media_type", "video/h264"), "",
                                          int(body.get("retention_hours", 24)), dict(body.get("tags") or {}))
            arns = [s.arn for s in backend.streams.values() if s.stream_name in set(names)]
            return json_response({"StreamARNs": arns})
        if path == "/_clipline/streams/delete":
            backend = self.backend(body.get("region", "us-east-1"))
            backend.delete_stream(self.stream_key(request, body["name"]))
            return json_response({})
        return Response("unknown control path", status=404)

    # --- archived media ------------------------------------------------------------------------------------
    def backend(self, region):
        return kvs_models.kinesisvideo_backends[DEFAULT_ACCOUNT_ID][region]

    def stream_for(self, request):
        params = request.get_json(force=True, silent=True) or {}
        try:
            stream = self.backend(region_of(request))._get_stream(params.get("StreamName"), params.get("StreamARN"))
        except MotoNotFound:
            raise KVSError("ResourceNotFoundException", "The requested stream was not found or you do not have "
                           "access to it.", 404)
        return stream, params

    def fragments(self, stream, selector_type):
        tags = stream.tags or {}
        media = tags.get("clipline:media")
        if not media:
            return self.live.archived(stream.arn, selector_type), None
        origin = parse_time(tags.get("clipline:media_start", "0"))
        if selector_type == "SERVER_TIMESTAMP":
            origin += float(tags.get("clipline:server_offset", "0"))
        with self.lock:
            frames = self.keyframes.get(media)
        if frames is None:
            frames = probe_fragments(media)
            with self.lock:
                self.keyframes[media] = frames
        result = []
        for index, (offset, length, size) in enumerate(frames):
            result.append({"index": index, "ts": origin + offset, "offset": offset, "length": length, "size": size})
        return result, media

    def selected_range(self, params, key):
        selector = params.get(key) or {}
        selector_type = selector.get("FragmentSelectorType", "SERVER_TIMESTAMP")
        if selector_type not in ("PRODUCER_TIMESTAMP", "SERVER_TIMESTAMP"):
            raise KVSError("InvalidArgumentException", f"FragmentSelectorType {selector_type} is not valid.")
        bounds = selector.get("TimestampRange") or {}
        if "StartTimestamp" not in bounds or "EndTimestamp" not in bounds:
            raise KVSError("InvalidArgumentException", "TimestampRange needs StartTimestamp and EndTimestamp.")
        start, end = parse_time(bounds["StartTimestamp"]), parse_time(bounds["EndTimestamp"])
        if start >= end:
            raise KVSError("InvalidArgumentException", "StartTimestamp must be before EndTimestamp.")
        if end - start > CLIP_RANGE_LIMIT:
            raise KVSError("InvalidArgumentException", "The time range cannot exceed 24 hours.")
        return selector_type, start, end

    def get_clip(self, request):
        stream, params = self.stream_for(request)
        selector_type, start, end = self.selected_range(params, "ClipFragmentSelector")
        fragments, media = self.fragments(stream, selector_type)
        tags = stream.tags or {}
        # KVS drops a fragment that starts before StartTimestamp.
        chosen = [f for f in fragments if start <= f["ts"] < end]
        if not chosen:
            raise KVSError("ResourceNotFoundException", "No fragments found in the requested time range.", 404)
        limit = int(tags.get("clipline:max_fragments", CLIP_FRAGMENT_LIMIT))
        capped, total = [], 0
        for fragment in chosen[:limit]:
            if capped and total + fragment["size"] > CLIP_BYTE_LIMIT:
                break
            capped.append(fragment)
            total += fragment["size"]
        if media is None:
            data = self.live.clip(stream.arn, capped, self.cut_dir)
        else:
            with open(self.cut(media, capped[0], capped[-1]), "rb") as handle:
                data = handle.read()
        return Response(data, status=200, content_type="video/mp4")

    def cut(self, media, first, last):
        key = (media, first["index"], last["index"])
        with self.lock:
            existing = self.cuts.get(key)
        if existing and os.path.exists(existing):
            return existing
        output = os.path.join(self.cut_dir, f"cut_{len(self.cuts)}_{first['index']}_{last['index']}.mp4")
        duration = last["offset"] + last["length"] - first["offset"]
        # Input seeking lands on the keyframe at or before the position: a hair after the fragment's first
        # keyframe picks that keyframe, never the one before it. The duration stops a hair short of the next
        # fragment's keyframe, which belongs to the next clip.
        command = ["ffmpeg", "-v", "error", "-y", "-ss", f"{first['offset'] + 0.001:.3f}", "-i", media,
                   "-t", f"{duration - 0.002:.3f}", "-map", "0", "-c", "copy", "-avoid_negative_ts", "make_zero",
                   "-movflags", "+faststart", output]
        subprocess.run(command, check=True)
        with self.lock:
            self.cuts[key] = output
        return output

    # --- live media (kvs_media.py) -------------------------------------------------------------------------------
    def stream_key(self, request, name):
        backend = self.backend(region_of(request))
        try:
            return backend._get_stream(name if not name.startswith("arn:") else None,
                                       name if name.startswith("arn:") else None).arn
        except MotoNotFound:
            raise KVSError("ResourceNotFoundException", "The requested stream was not found or you do not have "
                           "access to it.", 404)

    def put_media(self, request, environ):
        name = request.headers.get("x-amzn-stream-arn") or request.headers.get("x-amzn-stream-name") or ""
        key = self.stream_key(request, name)
        headers = {k.lower(): v for k, v in request.headers.items()}
        acks = self.live.put_media(key, environ["wsgi.input"], headers)
        return Response(b"".join(json_body(ack) + b"\n" for ack in acks), status=200,
                        content_type="application/json")

    def get_media(self, request, environ):
        stream, params = self.stream_for(request)
        selector = params.get("StartSelector") or {}
        kind = selector.get("StartSelectorType")
        if kind not in ("NOW", "EARLIEST", "FRAGMENT_NUMBER", "SERVER_TIMESTAMP", "PRODUCER_TIMESTAMP",
                        "CONTINUATION_TOKEN"):
            raise KVSError("InvalidArgumentException", f"StartSelectorType {kind} is not valid.")
        opened = self.live.open_session(stream.arn)
        if opened is None:
            raise KVSError("ConnectionLimitExceededException",
                           "Exceeded the limit of concurrent GetMedia connections for this stream.", 400)
        media, error = opened
        body = self.live.get_media(media, selector, error, environ.get("werkzeug.socket"))
        return Response(body, status=200, content_type="video/webm", direct_passthrough=True)

    def list_fragments(self, request):
        stream, params = self.stream_for(request)
        selector_type, start, end = self.selected_range(params, "FragmentSelector")
        fragments, _ = self.fragments(stream, selector_type)
        chosen = [f for f in fragments if start <= f["ts"] <= end]
        limit = int(params.get("MaxResults") or 100)
        offset = decode_token(params.get("NextToken"))
        page = chosen[offset:offset + limit]
        result = {"Fragments": [{
            "FragmentNumber": f.get("number") or str(91343852333181432392682062607743920146264227651 + f["index"]),
            "FragmentSizeInBytes": f["size"],
            "ProducerTimestamp": f["ts"] if selector_type == "PRODUCER_TIMESTAMP" else f["ts"],
            "ServerTimestamp": f["ts"],
            "FragmentLengthInMilliseconds": int(round(f["length"] * 1000)),
        } for f in page]}
        if offset + limit < len(chosen):
            result["NextToken"] = encode_token(offset + limit)
        return json_response(result)

    def list_streams(self, request):
        params = request.get_json(force=True, silent=True) or {}
        streams = sorted(self.backend(region_of(request)).streams.values(), key=lambda s: s.stream_name)
        condition = params.get("StreamNameCondition") or {}
        if condition:
            if condition.get("ComparisonOperator", "BEGINS_WITH") != "BEGINS_WITH":
                raise KVSError("InvalidArgumentException", "ComparisonOperator must be BEGINS_WITH.")
            prefix = condition.get("ComparisonValue", "")
            streams = [s for s in streams if s.stream_name.startswith(prefix)]
        limit = int(params.get("MaxResults") or 100)
        if not 1 <= limit <= 10000:
            raise KVSError("InvalidArgumentException", "MaxResults must be between 1 and 10000.")
        offset = decode_token(params.get("NextToken"))
        result = {"StreamInfoList": [stream_info(s) for s in streams[offset:offset + limit]]}
        if offset + limit < len(streams):
            result["NextToken"] = encode_token(offset + limit)
        return json_response(result)

    def get_hls_url(self, request):
        stream, params = self.stream_for(request)
        mode = params.get("PlaybackMode", "LIVE")
        if mode not in ("LIVE", "LIVE_REPLAY", "ON_DEMAND"):
            raise KVSError("InvalidArgumentException", f"PlaybackMode {mode} is not valid.")
        expires = int(params.get("Expires", 300))
        if not 300 <= expires <= 43200:
            raise KVSError("InvalidArgumentException", "Expires must be between 300 and 43200 seconds.")
        if mode != "LIVE":
            selector_type, start, end = self.selected_range(params, "HLSFragmentSelector")
            fragments, _ = self.fragments(stream, selector_type)
            if not [f for f in fragments if start <= f["ts"] < end]:
                raise KVSError("ResourceNotFoundException", "No fragments found in the requested time range.", 404)
        token = base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("=")
        url = f"{self.self_url}/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken={token}"
        return json_response({"HLSStreamingSessionURL": url})

    def list_tags(self, request):
        stream, _ = self.stream_for(request)
        return json_response({"Tags": dict(stream.tags or {})})


class _Replay:
    def __init__(self, data):
        self.data, self.position = data, 0

    def read(self, size=-1):
        if size is None or size < 0:
            size = len(self.data) - self.position
        chunk = self.data[self.position:self.position + size]
        self.position += len(chunk)
        return chunk

    def readline(self, size=-1):
        return self.read(size)


def region_of(request):
    """The region of the SigV4 scope, as moto itself picks the backend."""
    auth = request.headers.get("Authorization", "")
    if "Credential=" in auth:
        scope = auth.split("Credential=")[1].split(",")[0].split("/")
        if len(scope) >= 3:
            return scope[2]
    return "us-east-1"


def stream_info(stream):
    info = stream.to_dict()
    info["CreationTime"] = info["CreationTime"].timestamp()
    return info


def probe_fragments(media):
    """The video's GOPs as (offset, length, bytes), from ffprobe's packet list."""
    output = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "packet=stream_index,pts_time,flags,size", "-of", "csv=p=0",
         "-show_entries", "format=duration", media], check=True, capture_output=True, text=True).stdout
    keyframes, sizes, duration, video_index = [], {}, None, None
    packets = []
    for line in output.splitlines():
        parts = [part for part in line.split(",") if part != ""]
        if not parts:
            continue
        if len(parts) == 1:
            duration = float(parts[0])
            continue
        stream_index, pts, size, flags = int(parts[0]), parts[1], int(parts[2]), parts[3]
        if pts == "N/A":
            continue
        packets.append((stream_index, float(pts), size, flags))
    video_index = min(p[0] for p in packets if "K" in p[3])  # stream 0 is the video in our fixtures
    keyframes = sorted(p[1] for p in packets if p[0] == video_index and "K" in p[3])
    frames = []
    for index, offset in enumerate(keyframes):
        end = keyframes[index + 1] if index + 1 < len(keyframes) else duration
        size = sum(p[2] for p in packets if offset <= p[1] < end)
        frames.append((offset, end - offset, size))
    return frames


def parse_time(value):
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value)
    try:
        return float(text)
    except ValueError:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def encode_token(offset):
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_token(token):
    if not token:
        return 0
    try:
        return int(json.loads(base64.b64decode(token))["offset"])
    except Exception:
        raise KVSError("InvalidArgumentException", "NextToken is not valid.")


def json_response(value):
    return Response(json.dumps(value), status=200, content_type="application/json")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bind", default="127.0.0.1", help="the address to listen on")
    parser.add_argument("--port", type=int, required=True)
    arguments = parser.parse_args()
    testbed = Testbed()
    testbed.self_url = f"http://{arguments.bind}:{arguments.port}"
    testbed.install()
    app = testbed.wrap(DomainDispatcherApplication(create_backend_app))
    server = make_server(arguments.bind, arguments.port, app, threaded=True)
    print(f"kvs testbed listening on {testbed.self_url}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
