"""KVS's live media for the test endpoint: PutMedia and GetMedia, with the details of the real service that bite.

PutMedia takes a producer's Matroska stream as it comes (`ffmpeg -re … -f matroska -method POST
-headers 'x-amzn-stream-name: NAME' http://…/putMedia`: a real producer is the camera) and cuts it into fragments at
video keyframes, as KVS does. Each fragment gets a fragment number of 47 digits (rising, with gaps), the server
timestamp of the moment its first frame arrived, and its producer timestamp (x-amzn-producer-start-timestamp plus the
cluster timecode, or the absolute timecode with x-amzn-fragment-timecode-type: ABSOLUTE). Fragments are kept on disk.

GetMedia answers 200 with KVS's wire format: one complete Matroska document per fragment (EBML header, Segment of
unknown size, Info, Tracks with CodecPrivate every time, Tags with AWS_KINESISVIDEO_FRAGMENT_NUMBER /
_SERVER_TIMESTAMP / _PRODUCER_TIMESTAMP, one Cluster whose Timecode is the producer's — it restarts when a camera
reconnects — then Tags with _MILLIS_BEHIND_NOW and _CONTINUATION_TOKEN). Stored fragments go at once with a Cluster of
known size; the fragment being received is sent as it arrives, its Cluster of unknown size, frame by frame. Selectors:
NOW, EARLIEST, FRAGMENT_NUMBER and CONTINUATION_TOKEN (both start after that fragment), SERVER_TIMESTAMP and
PRODUCER_TIMESTAMP (the fragment holding that time). A fourth reader of one stream is refused with
ConnectionLimitExceededException; an unknown fragment number, and injected failures, come as error tags inside the 200
(AWS_KINESISVIDEO_ERROR_CODE / _ERROR_ID), after which the session ends; every session ends without an error after
a configurable time (45 minutes, as AWS's do).

Control, beside the rest of /_clipline/:
  POST /_clipline/media/session  {"seconds": 3}              sessions started from now on end after 3 s
  POST /_clipline/media/quiet    {"stream": NAME, "seconds": 4}  the camera's next 4 s are dropped (it sent nothing)
  POST /_clipline/media/error    {"stream": NAME, "code": 5000, "after": 2}  the next session of NAME sends error
                                 code 5000 after 2 fragments, then ends
  GET  /_clipline/media/fragments?stream=NAME                 the fragments: number, times, duration, bytes
  GET  /_clipline/media/readers                               open GetMedia sessions per stream
"""
import json
import os
import random
import select
import socket
import subprocess
import threading
import time

import kvs_mkv as mkv

FIRST_FRAGMENT_NUMBER = 91343852333181432392682062607743920146264227651
READER_LIMIT = 3
AWS_SESSION_SECONDS = 45 * 60
ERROR_IDS = {4000: 4000, 5000: 5000}


class Fragment:
    def __init__(self, number, server, producer, tracks, timecode_scale, cluster_timecode):
        self.number, self.server, self.producer = number, server, producer
        self.tracks, self.timecode_scale, self.cluster_timecode = tracks, timecode_scale, cluster_timecode
        self.blocks = []  # encoded SimpleBlocks, while the fragment is being received
        self.complete = False
        self.location = None  # (offset, length) of the stored Cluster payload
        self.first_timecode = self.last_timecode = cluster_timecode
        self.frame_step = 0
        self.bytes = 0
        self.completed_at = None

    @property
    def duration(self):
        ticks = self.last_timecode - self.first_timecode + self.frame_step
        return ticks * self.timecode_scale / 1e9

    def describe(self):
        return {"number": str(self.number), "server": self.server, "producer": self.producer,
                "duration": round(self.duration, 3), "complete": self.complete, "bytes": self.bytes,
                "completed_at": self.completed_at}


class StreamMedia:
    """One stream's fragments, in arrival order, and the readers following it."""

    def __init__(self, key, directory):
        self.key = key
        self.condition = threading.Condition()
        self.fragments = []
        self.readers = 0
        self.quiet_until = 0.0
        self.errors = []  # (after fragments, code) for the next sessions, in order
        self.next_number = FIRST_FRAGMENT_NUMBER + random.randrange(10 ** 6)
        self.path = os.path.join(directory, f"media-{abs(hash(key))}.bin")
        self.store = open(self.path, "w+b")

    def number(self):
        number = self.next_number
        self.next_number += random.randrange(10 ** 3, 10 ** 9)
        return number

    def finish_live(self):
        """Completes the fragment being received (called with the condition held)."""
        if not self.fragments or self.fragments[-1].complete:
            return
        fragment = self.fragments[-1]
        payload = mkv.uint_element(mkv.TIMECODE, fragment.cluster_timecode) + b"".join(fragment.blocks)
        self.store.seek(0, os.SEEK_END)
        offset = self.store.tell()
        self.store.write(payload)
        self.store.flush()
        fragment.location = (offset, len(payload))
        fragment.blocks = []
        fragment.complete = True
        fragment.completed_at = time.time()
        self.condition.notify_all()

    def cluster_payload(self, fragment):
        offset, length = fragment.location
        with open(self.path, "rb") as handle:
            handle.seek(offset)
            return handle.read(length)


class LiveMedia:
    def __init__(self, directory):
        self.directory = directory
        self.lock = threading.Lock()
        self.streams = {}
        self.session_seconds = AWS_SESSION_SECONDS

    def media(self, key):
        with self.lock:
            if key not in self.streams:
                self.streams[key] = StreamMedia(key, self.directory)
            return self.streams[key]

    # --- PutMedia ------------------------------------------------------------------------------------------------
    def put_media(self, key, body, headers):
        """Reads the producer's stream until it ends; returns the acknowledgements KVS would send."""
        media = self.media(key)
        start = float(headers.get("x-amzn-producer-start-timestamp") or time.time())
        absolute = (headers.get("x-amzn-fragment-timecode-type") or "RELATIVE").upper() == "ABSOLUTE"
        session = {"scale": 1000000, "tracks": None, "video": None, "cluster": 0, "acks": []}
        try:
            for element_id, payload in mkv.stream_elements(body):
                self.take_element(media, session, element_id, payload, start, absolute)
        finally:
            with media.condition:
                media.finish_live()
        return session["acks"]

    def take_element(self, media, session, element_id, payload, start, absolute):
        if element_id == mkv.INFO:
            fields = dict(mkv.children(payload))
            session["scale"] = mkv.read_uint(fields.get(mkv.TIMECODE_SCALE, b"")) or 1000000
        elif element_id == mkv.TRACKS:
            session["tracks"] = payload
            types = mkv.track_types(payload)
            session["video"] = next((number for number, kind in types.items() if kind == 1), None)
        elif element_id == mkv.TIMECODE:
            session["cluster"] = mkv.read_uint(payload)
        elif element_id == mkv.SIMPLE_BLOCK:
            self.take_block(media, session, payload, start, absolute, keyframe=None)
        elif element_id == mkv.BLOCK_GROUP:
            fields = dict(mkv.children(payload))
            if mkv.BLOCK in fields:
                self.take_block(media, session, fields[mkv.BLOCK], start, absolute,
                                keyframe=mkv.REFERENCE_BLOCK not in fields)

    def take_block(self, media, session, payload, start, absolute, keyframe):
        track, relative, flags, frame = mkv.parse_block(payload)
        if keyframe is None:
            keyframe = bool(flags & 0x80)
        timecode = session["cluster"] + relative
        now = time.time()
        with media.condition:
            if now < media.quiet_until:
                media.finish_live()
                return
            starts = session["video"] is None or (track == session["video"] and keyframe)
            live = media.fragments[-1] if media.fragments and not media.fragments[-1].complete else None
            if starts:
                media.finish_live()
                seconds = timecode * session["scale"] / 1e9
                producer = seconds if absolute else start + seconds
                live = Fragment(media.number(), now, producer, session["tracks"], session["scale"], timecode)
                media.fragments.append(live)
                session["acks"].append({"EventType": "PERSISTED", "FragmentTimecode": timecode,
                                        "FragmentNumber": str(live.number)})
            if live is None:
                return  # a fragment starts on a keyframe: what comes before the first one is dropped
            if track == session["video"] and timecode > live.last_timecode:
                live.frame_step = timecode - live.last_timecode
            live.last_timecode = max(live.last_timecode, timecode)
            block = mkv.simple_block(track, timecode - live.cluster_timecode, flags | (0x80 if keyframe else 0), frame)
            live.blocks.append(block)
            live.bytes += len(block)
            media.condition.notify_all()

    # --- GetMedia ------------------------------------------------------------------------------------------------
    def open_session(self, key):
        """Counts a reader in, or says why not (KVS allows three per stream)."""
        media = self.media(key)
        with media.condition:
            if media.readers >= READER_LIMIT:
                return None
            media.readers += 1
            error = media.errors.pop(0) if media.errors else None
        return media, error

    def get_media(self, media, selector, error, connection):
        """The body of one GetMedia answer; the reader is counted out when it ends."""
        deadline = time.time() + self.session_seconds
        try:
            yield b""  # the status and headers now, before the first fragment exists
            index = self.start_index(media, selector)
            if index is None:
                yield self.error_document(selector.get("AfterFragmentNumber") or selector.get("ContinuationToken")
                                          or "0", 4000)
                return
            sent = 0
            while time.time() < deadline:
                if error and sent >= error[0]:
                    yield self.error_document(self.number_at(media, index), error[1])
                    return
                fragment = self.wait_for(media, index, deadline, connection)
                if fragment is None:
                    return
                yield from self.send(media, fragment, connection)
                index += 1
                sent += 1
        finally:
            with media.condition:
                media.readers -= 1

    def start_index(self, media, selector):
        kind = selector.get("StartSelectorType", "NOW")
        with media.condition:
            fragments = list(media.fragments)
        if kind == "EARLIEST":
            return 0
        if kind == "NOW":
            live = bool(fragments) and not fragments[-1].complete
            return len(fragments) - 1 if live else len(fragments)
        if kind in ("FRAGMENT_NUMBER", "CONTINUATION_TOKEN"):
            wanted = selector.get("AfterFragmentNumber") if kind == "FRAGMENT_NUMBER" else \
                selector.get("ContinuationToken")
            for index, fragment in enumerate(fragments):
                if str(fragment.number) == str(wanted):
                    return index + 1
            return None
        when = float(selector.get("StartTimestamp", 0))
        field = "server" if kind == "SERVER_TIMESTAMP" else "producer"
        for index, fragment in enumerate(fragments):
            begin = getattr(fragment, field)
            if begin >= when or (begin <= when < begin + fragment.duration) or not fragment.complete:
                return index
        return len(fragments)

    def number_at(self, media, index):
        with media.condition:
            if index < len(media.fragments):
                return str(media.fragments[index].number)
            return str(media.fragments[-1].number) if media.fragments else "0"

    def wait_for(self, media, index, deadline, connection):
        with media.condition:
            while index >= len(media.fragments):
                if time.time() >= deadline or gone(connection):
                    return None
                media.condition.wait(0.25)
            return media.fragments[index]

    def send(self, media, fragment, connection):
        head = mkv.ebml_header() + mkv.encode_id(mkv.SEGMENT) + mkv.UNKNOWN_SIZE + \
            mkv.info(fragment.timecode_scale) + mkv.element(mkv.TRACKS, fragment.tracks) + mkv.tags([
                ("AWS_KINESISVIDEO_FRAGMENT_NUMBER", str(fragment.number)),
                ("AWS_KINESISVIDEO_SERVER_TIMESTAMP", f"{fragment.server:.3f}"),
                ("AWS_KINESISVIDEO_PRODUCER_TIMESTAMP", f"{fragment.producer:.3f}")])
        with media.condition:
            stored = fragment.complete
        if stored:
            yield head + mkv.element(mkv.CLUSTER, media.cluster_payload(fragment)) + self.trailer(fragment)
            return
        yield head + mkv.encode_id(mkv.CLUSTER) + mkv.UNKNOWN_SIZE + \
            mkv.uint_element(mkv.TIMECODE, fragment.cluster_timecode)
        sent, sent_bytes = 0, 0
        timecode = len(mkv.uint_element(mkv.TIMECODE, fragment.cluster_timecode))
        while True:
            with media.condition:
                while sent == len(fragment.blocks) and not fragment.complete:
                    if gone(connection):
                        return
                    media.condition.wait(0.25)
                if fragment.complete:
                    # Stored meanwhile: the blocks not sent yet are the stored Cluster's tail.
                    pending = media.cluster_payload(fragment)[timecode + sent_bytes:]
                else:
                    pending = b"".join(fragment.blocks[sent:])
                    sent, sent_bytes = len(fragment.blocks), sent_bytes + len(pending)
                done = fragment.complete
            if pending:
                yield pending
            if done:
                yield self.trailer(fragment)
                return

    def trailer(self, fragment):
        behind = max(0, int((time.time() - fragment.server - fragment.duration) * 1000))
        return mkv.tags([("AWS_KINESISVIDEO_MILLIS_BEHIND_NOW", str(behind)),
                         ("AWS_KINESISVIDEO_CONTINUATION_TOKEN", str(fragment.number))])

    def error_document(self, number, code):
        return mkv.ebml_header() + mkv.encode_id(mkv.SEGMENT) + mkv.UNKNOWN_SIZE + mkv.tags([
            ("AWS_KINESISVIDEO_FRAGMENT_NUMBER", str(number)),
            ("AWS_KINESISVIDEO_ERROR_CODE", str(code)),
            ("AWS_KINESISVIDEO_ERROR_ID", str(ERROR_IDS.get(code, code)))])

    # --- archived media (ListFragments, GetClip) --------------------------------------------------------------------
    def archived(self, key, selector_type):
        """The whole fragments PutMedia received, as kvs_server.py's archived-media calls count them."""
        with self.lock:
            media = self.streams.get(key)
        if media is None:
            return []
        with media.condition:
            whole = [fragment for fragment in media.fragments if fragment.complete]
        field = "server" if selector_type == "SERVER_TIMESTAMP" else "producer"
        return [{"index": index, "ts": getattr(fragment, field), "offset": 0, "length": fragment.duration,
                 "size": fragment.bytes, "number": str(fragment.number), "fragment": fragment}
                for index, fragment in enumerate(whole)]

    def clip(self, key, chosen, directory):
        """GetClip of received fragments: their Matroska documents joined and remuxed to an MP4 by ffmpeg."""
        media = self.media(key)
        documents = b"".join(mkv.ebml_header() + mkv.encode_id(mkv.SEGMENT) + mkv.UNKNOWN_SIZE +
                             mkv.info(item["fragment"].timecode_scale) +
                             mkv.element(mkv.TRACKS, item["fragment"].tracks) +
                             mkv.element(mkv.CLUSTER, media.cluster_payload(item["fragment"])) for item in chosen)
        output = os.path.join(directory, f"live-{os.getpid()}-{random.randrange(1 << 30)}.mp4")
        try:
            # ffmpeg reads joined documents as one input (saying so at error level for each: hence -v fatal).
            subprocess.run(["ffmpeg", "-v", "fatal", "-y", "-f", "matroska", "-i", "pipe:0", "-map", "0", "-c", "copy",
                            "-movflags", "+faststart", output], input=documents, check=True)
            with open(output, "rb") as handle:
                return handle.read()
        finally:
            if os.path.exists(output):
                os.unlink(output)

    # --- control -------------------------------------------------------------------------------------------------
    def control(self, path, body, query, key_of):
        if path == "/_clipline/media/session":
            self.session_seconds = float(body.get("seconds", AWS_SESSION_SECONDS))
            return {}
        if path == "/_clipline/media/quiet":
            media = self.media(key_of(body["stream"]))
            with media.condition:
                media.quiet_until = time.time() + float(body["seconds"])
            return {}
        if path == "/_clipline/media/error":
            media = self.media(key_of(body["stream"]))
            with media.condition:
                media.errors.append((int(body.get("after", 0)), int(body["code"])))
            return {}
        if path == "/_clipline/media/fragments":
            media = self.media(key_of(query["stream"]))
            with media.condition:
                return {"Fragments": [fragment.describe() for fragment in media.fragments]}
        if path == "/_clipline/media/readers":
            with self.lock:
                return {key: media.readers for key, media in self.streams.items()}
        return None


def gone(connection):
    """Whether the client closed its end (a reader that went away stops counting against the limit)."""
    if connection is None:
        return False
    try:
        readable, _, _ = select.select([connection], [], [], 0)
        return bool(readable) and connection.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


def json_body(value):
    return json.dumps(value).encode()
