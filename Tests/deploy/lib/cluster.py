#!/usr/bin/env python3
"""The operator's side of the scale-out test and benchmark, run on the service host (inside its namespace):
make the buckets and upload the source, submit M0 jobs, wait for them, and check what they left behind.

  cluster.py storage SOURCE.mp4                  buckets spectra-videos, spectra-cache, sources; SOURCE -> s3://sources/
  cluster.py submit FIRST COUNT CHUNK_SECONDS [transcode]
                    COUNT M0 requests (process ids FIRST..) on M0_PRIORITY_QUEUE, persistent; chunks are stream
                    copies, or transcoded to 320x240 at 15 fps
  cluster.py processing FIRST COUNT              prints how many of the jobs are PROCESSING
  cluster.py wait FIRST COUNT TIMEOUT            until every job is PROCESSING and no request is ready or retrying
  cluster.py check FIRST COUNT CHUNKS            the end state, one line per problem; exit 1 if there is any

Environment: AMQP_URL, AWS_ENDPOINT_URL_S3, CLIPLINE_TEST_S3_ACCESS_KEY_ID, CLIPLINE_TEST_S3_SECRET_ACCESS_KEY,
GRAPHQL_CONTROL_URL (what scripts/services printed on the service host)."""
import hashlib, json, os, sys, time, urllib.request

import boto3, pika
from botocore.config import Config

REQUESTS, RESULTS, DEADLETTER = "M0_PRIORITY_QUEUE", "M0_RESULTS_QUEUE", "M0_DEADLETTER_QUEUE"
RETRY = REQUESTS + ".retry"
VIDEOS, CACHE, SOURCES = "spectra-videos", "spectra-cache", "sources"


def s3():
    return boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"], region_name="us-east-1",
                        aws_access_key_id=os.environ["CLIPLINE_TEST_S3_ACCESS_KEY_ID"],
                        aws_secret_access_key=os.environ["CLIPLINE_TEST_S3_SECRET_ACCESS_KEY"],
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 10}))


def broker():
    return pika.BlockingConnection(pika.URLParameters(os.environ["AMQP_URL"]))


def ready(channel, queue):
    """Ready messages in a queue, or None when it does not exist (a passive declare never conflicts)."""
    try:
        return channel.queue_declare(queue, passive=True).method.message_count
    except pika.exceptions.ChannelClosedByBroker:
        return None


def rows(table, process_id):
    url = f"{os.environ['GRAPHQL_CONTROL_URL']}/rows/{table}?process_id={process_id}"
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.load(answer)


def storage(source):
    client = s3()
    for bucket in (VIDEOS, CACHE, SOURCES):
        client.create_bucket(Bucket=bucket)
    client.upload_file(source, SOURCES, os.path.basename(source))


def request(process_id, chunk_seconds, transcode):
    preprocessing = {"chunk_duration": chunk_seconds}
    if transcode:
        preprocessing.update(fps=15, width=320, height=240)
    return {"process_id": process_id, "inference_modality": "batch",
            "cloud_stream_path": f"s3://{SOURCES}/clip.mp4", "destination_prefix": f"processed/{process_id}/",
            "cache_container_name": CACHE,
            "video_preprocessing": preprocessing,
            "inference_config": {"vlm_provider": "bedrock", "system_prompt_key": "scale_out_v1"}}


def submit(first, count, chunk_seconds, transcode):
    connection = broker()
    channel = connection.channel()
    for _ in range(300):  # the workers declare the queue; publish only into one that exists
        if ready(channel, REQUESTS) is not None:
            break
        channel = connection.channel()
        time.sleep(0.1)
    else:
        sys.exit(f"cluster: {REQUESTS} was never declared (no worker connected?)")
    channel.confirm_delivery()
    for process_id in range(first, first + count):
        channel.basic_publish("", REQUESTS, json.dumps(request(process_id, chunk_seconds, transcode)),
                              pika.BasicProperties(delivery_mode=2, content_type="application/json"),
                              mandatory=True)
    connection.close()


def processing(first, count):
    done = 0
    for process_id in range(first, first + count):
        statuses = rows("batch_video_processes", process_id)
        done += bool(statuses) and statuses[0]["status"] == "PROCESSING"
    return done


def settled(first, count):
    """Every job PROCESSING, and nothing ready or waiting for a retry (None while the broker is away)."""
    try:
        connection = broker()
    except Exception:
        return False
    try:
        channel = connection.channel()
        waiting = ready(channel, REQUESTS) or 0
        channel = channel if channel.is_open else connection.channel()
        waiting += ready(channel, RETRY) or 0
    finally:
        connection.close()
    return waiting == 0 and processing(first, count) == count


def wait(first, count, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if settled(first, count):
                return
        except OSError:
            pass
        time.sleep(1)
    sys.exit(f"cluster: after {timeout} s only {processing(first, count)} of {count} jobs are PROCESSING")


def drain(channel, queue):
    bodies = []
    while True:
        method, _, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            return bodies
        bodies.append(body)


def check(first, count, chunks):
    problems = []
    client = s3()
    connection = broker()
    channel = connection.channel()
    results = {}
    duplicates = 0
    for body in drain(channel, RESULTS):
        message = json.loads(body)
        key = (int(message["process_id"]), int(message["chunk_id"]))
        if key in results:
            duplicates += 1
            if results[key] != message:
                fields = sorted(f for f in set(message) | set(results[key]) if message.get(f) != results[key].get(f))
                differences = ", ".join(f"{f}: {results[key].get(f)!r} then {message.get(f)!r}" for f in fields)
                problems.append(f"{RESULTS}: chunk {key} came twice, different in {differences}")
        results[key] = message
    dead = ready(channel, DEADLETTER) if channel.is_open else None
    if dead:
        channel = channel if channel.is_open else connection.channel()
        for body in drain(channel, DEADLETTER)[:3]:
            problems.append(f"{DEADLETTER} holds {body[:200]!r}")
        problems.append(f"{DEADLETTER} holds {dead} message(s)")
    connection.close()

    expected_ids = set(range(1, chunks + 1))
    for process_id in range(first, first + count):
        got = {chunk for (pid, chunk) in results if pid == process_id}
        if got != expected_ids:
            problems.append(f"job {process_id}: {RESULTS} has chunks {sorted(got)}, expected {sorted(expected_ids)}")
        for bucket, prefix in ((VIDEOS, f"processed/{process_id}/"), (CACHE, f"temp/{process_id}/")):
            listed = client.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
            keys = sorted(item["Key"] for item in listed)
            wanted = [f"{prefix}chunk_{chunk:03}.mp4" for chunk in sorted(expected_ids)]
            if keys != wanted:
                problems.append(f"job {process_id}: s3://{bucket}/{prefix} holds {keys}, expected {wanted}")
                continue
            for chunk in sorted(expected_ids):
                message = results.get((process_id, chunk))
                if message is None:
                    continue
                body = client.get_object(Bucket=bucket, Key=f"{prefix}chunk_{chunk:03}.mp4")["Body"].read()
                if hashlib.sha256(body).hexdigest() != message["chunk_hash"]:
                    problems.append(f"job {process_id}: s3://{bucket}/{prefix}chunk_{chunk:03}.mp4 does not hash "
                                    "to the chunk_hash its message carries")
        chunk_rows = rows("batch_chunks", process_id)
        hashes = sorted(row["chunk_hash"] for row in chunk_rows)
        wanted_hashes = sorted(results[(process_id, c)]["chunk_hash"] for c in expected_ids
                               if (process_id, c) in results)
        if len(chunk_rows) != chunks or hashes != wanted_hashes:
            problems.append(f"job {process_id}: {len(chunk_rows)} chunk row(s) in the database, expected {chunks} "
                            "matching the published chunks")
        statuses = rows("batch_video_processes", process_id)
        status = statuses[0]["status"] if statuses else None
        if status != "PROCESSING":
            problems.append(f"job {process_id}: status {status}, expected PROCESSING")
    for problem in problems:
        print(f"cluster: {problem}")
    print(f"cluster: {count} jobs, {len(results)} distinct chunks on {RESULTS}, {duplicates} redelivered "
          f"duplicate(s), {len(problems)} problem(s)")
    return 1 if problems else 0


def main():
    command, *arguments = sys.argv[1:] or ["help"]
    if command == "storage":
        storage(arguments[0])
    elif command == "submit":
        submit(int(arguments[0]), int(arguments[1]), int(arguments[2]), arguments[3:] == ["transcode"])
    elif command == "processing":
        print(processing(int(arguments[0]), int(arguments[1])))
    elif command == "wait":
        wait(int(arguments[0]), int(arguments[1]), float(arguments[2]))
    elif command == "check":
        sys.exit(check(int(arguments[0]), int(arguments[1]), int(arguments[2])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
