"""The little Matroska (EBML) a KVS test endpoint needs: read a producer's stream element by element as it arrives,
and write KVS's GetMedia documents. Written from the EBML and Matroska specifications (RFC 8794, RFC 9559)."""
import struct

EBML = 0x1A45DFA3
SEGMENT = 0x18538067
SEEK_HEAD = 0x114D9B74
INFO = 0x1549A966
TIMECODE_SCALE = 0x2AD7B1
TRACKS = 0x1654AE6B
TRACK_ENTRY = 0xAE
TRACK_NUMBER = 0xD7
TRACK_TYPE = 0x83
CODEC_PRIVATE = 0x63A2
TAGS = 0x1254C367
TAG = 0x7373
TARGETS = 0x63C0
SIMPLE_TAG = 0x67C8
TAG_NAME = 0x45A3
TAG_STRING = 0x4487
CLUSTER = 0x1F43B675
TIMECODE = 0xE7
SIMPLE_BLOCK = 0xA3
BLOCK_GROUP = 0xA0
BLOCK = 0xA1
REFERENCE_BLOCK = 0xFB

UNKNOWN_SIZE = b"\x01\xff\xff\xff\xff\xff\xff\xff"
# Containers a producer's stream is read through rather than skipped: their children follow flat.
ENTERED = {SEGMENT, CLUSTER}


def encode_id(element_id):
    length = (element_id.bit_length() + 7) // 8
    return element_id.to_bytes(length, "big")


def encode_size(size):
    """The shortest EBML size for `size` (the all-ones value of each length means unknown, so it is skipped)."""
    for length in range(1, 9):
        if size < (1 << (7 * length)) - 1:
            return (size | (1 << (7 * length))).to_bytes(length, "big")
    raise ValueError("element too large")


def element(element_id, payload):
    return encode_id(element_id) + encode_size(len(payload)) + payload


def uint_element(element_id, value):
    length = max(1, (value.bit_length() + 7) // 8)
    return element(element_id, value.to_bytes(length, "big"))


def string_element(element_id, text):
    return element(element_id, text.encode("utf-8"))


def read_uint(payload):
    return int.from_bytes(payload, "big") if payload else 0


def read_vint(data, offset, keep_marker):
    """(value, length) of the variable-size integer at `offset`; the value is None when it says "unknown"."""
    first = data[offset]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8:
        raise ValueError("invalid EBML variable-size integer")
    raw = int.from_bytes(data[offset:offset + length], "big")
    if keep_marker:
        return raw, length
    value = raw & ((1 << (7 * length)) - 1)
    return (None if value == (1 << (7 * length)) - 1 else value), length


def children(payload):
    """(id, payload) of each child in a master element's payload."""
    offset = 0
    while offset < len(payload):
        element_id, id_length = read_vint(payload, offset, True)
        size, size_length = read_vint(payload, offset + id_length, False)
        start = offset + id_length + size_length
        yield element_id, payload[start:start + size]
        offset = start + size


def read_exactly(stream, count):
    parts, needed = [], count
    while needed > 0:
        part = stream.read(needed)
        if not part:
            break
        parts.append(part)
        needed -= len(part)
    return b"".join(parts)


def stream_elements(stream):
    """(id, payload) of each element of a producer's stream as it arrives; Segment and Cluster are entered (their
    payload is None) so that blocks come one by one, whatever their container's size says."""
    while True:
        head = read_exactly(stream, 1)
        if not head:
            return
        id_length = 1
        while id_length <= 4 and not head[0] & (0x80 >> (id_length - 1)):
            id_length += 1
        if id_length > 4:
            raise ValueError("invalid element id")
        head += read_exactly(stream, id_length - 1)
        element_id = int.from_bytes(head, "big")
        size_head = read_exactly(stream, 1)
        if not size_head:
            return
        size_length = 1
        while size_length <= 8 and not size_head[0] & (0x80 >> (size_length - 1)):
            size_length += 1
        size_bytes = size_head + read_exactly(stream, size_length - 1)
        size, _ = read_vint(size_bytes, 0, False)
        if element_id in ENTERED:
            yield element_id, None
            continue
        if size is None:
            raise ValueError(f"element {element_id:#x} of unknown size")
        payload = read_exactly(stream, size)
        if len(payload) < size:
            return
        yield element_id, payload


def parse_block(payload):
    """(track, relative timecode, flags, frame) of a SimpleBlock or Block without lacing."""
    track, length = read_vint(payload, 0, False)
    relative, flags = struct.unpack(">hB", payload[length:length + 3])
    return track, relative, flags, payload[length + 3:]


def simple_block(track, relative, flags, frame):
    return element(SIMPLE_BLOCK, encode_size(track) + struct.pack(">hB", relative, flags) + frame)


def ebml_header():
    return element(EBML, b"".join([
        uint_element(0x4286, 1), uint_element(0x42F7, 1), uint_element(0x42F2, 4), uint_element(0x42F3, 8),
        string_element(0x4282, "matroska"), uint_element(0x4287, 4), uint_element(0x4285, 2)]))


def tags(pairs):
    simple = b"".join(element(SIMPLE_TAG, string_element(TAG_NAME, name) + string_element(TAG_STRING, value))
                      for name, value in pairs)
    return element(TAGS, element(TAG, element(TARGETS, b"") + simple))


def info(timecode_scale):
    return element(INFO, uint_element(TIMECODE_SCALE, timecode_scale) +
                   string_element(0x4D80, "clipline-kvs-testbed") + string_element(0x5741, "clipline-kvs-testbed"))


def track_types(tracks_payload):
    """{track number: track type} from a Tracks payload (1 video, 2 audio)."""
    types = {}
    for element_id, entry in children(tracks_payload):
        if element_id != TRACK_ENTRY:
            continue
        fields = dict(children(entry))
        types[read_uint(fields.get(TRACK_NUMBER, b""))] = read_uint(fields.get(TRACK_TYPE, b""))
    return types
