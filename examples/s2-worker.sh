#!/usr/bin/env bash
# S2's worker: for each KVS task, pull the clip, store it, and hand M0 a request for it. The clip streams from
# GetClip into the upload (kvs-clip --to): nothing lands on this host's disk.
# A stream that is not ACTIVE yields no clip and no request (exit 0: acked, as S2 drops it);
# any other failure lands the task on S2_PROCESSING_DLQ with the error in its headers.
#   examples/s2-worker.sh --shape-only < stored-clips.jsonl   prints the M0 requests it would publish.
# Optional: CONCURRENCY (tasks at once; else S2's S2_KVS_MAX_FFMPEG_WORKERS, else 1: each task runs at most one
# FFmpeg step), COUNT, GRACE (seconds after SIGTERM), HEALTH_FILE (amqp-consume --health-file),
# METRICS_LISTEN (--metrics-listen: /metrics, /healthz, /readyz on ADDR:PORT, e.g. :9464).
set -euo pipefail
: "${VIDEO_STORE:=file:///var/lib/clipline/spectra-videos}"   # or s3://spectra-videos
: "${CHUNK_DURATION:=60}"
: "${FPS:=15}"
: "${CACHE_CONTAINER:=spectra-cache}"
export VIDEO_STORE CHUNK_DURATION FPS CACHE_CONTAINER

# The M0 request, field for field: the stored clip becomes the source, the clip's first frame its live start. Its
# chunks go under the camera and the task's process_id (one per camera and window): no two tasks share a key.
m0_request() {
  record-shape --rename clip_start_time=live_start_time \
    --keep process_id,cloud_stream_path,live_start_time,inference_config \
    --set inference_modality=live \
    --set 'destination_prefix=processed/live/{camera_id}/{process_id}/' \
    --set "cache_container_name=$CACHE_CONTAINER" \
    --set-json "video_preprocessing={\"chunk_duration\":$CHUNK_DURATION,\"fps\":$FPS}"
}
if [[ ${1:-} == --shape-only ]]; then m0_request; exit; fi
export -f m0_request

exec amqp-consume --queue S2_PROCESSING_QUEUE --dlq S2_PROCESSING_DLQ --declare \
  --concurrency "${CONCURRENCY:-${S2_KVS_MAX_FFMPEG_WORKERS:-1}}" ${COUNT:+--count "$COUNT"} \
  ${GRACE:+--grace "$GRACE"} ${HEALTH_FILE:+--health-file "$HEALTH_FILE"} \
  ${METRICS_LISTEN:+--metrics-listen "$METRICS_LISTEN"} \
  -- bash -o pipefail -c '
    kvs-clip --to "$VIDEO_STORE/live/{camera_id}/{start_time}.mp4=cloud_stream_path" \
    | m0_request \
    | amqp-pub --queue M0_PRIORITY_QUEUE --dlq M0_DEADLETTER_QUEUE --declare'
