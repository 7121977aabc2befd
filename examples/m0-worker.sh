#!/usr/bin/env bash
# M0's worker: cut each video into chunks, upload every chunk twice (persistent, and cache with a TTL),
# record it through GraphQL, publish it for M1, and mark the job PROCESSING after the last chunk.
# Failures dead-letter the request on M0_DEADLETTER_QUEUE and mark the job FAILED (--on-failure).
#   examples/m0-worker.sh --shape-only < chunk-records.jsonl   prints the messages it would publish for M1.
# Optional: CONCURRENCY, COUNT, GRACE (seconds after SIGTERM), HEALTH_FILE (amqp-consume --health-file),
# METRICS_LISTEN (--metrics-listen: /metrics, /healthz, /readyz on ADDR:PORT, e.g. :9464),
# CHUNK_UPLOAD (parts, the default, or files).
set -euo pipefail
: "${VIDEO_STORE:=file:///var/lib/clipline/spectra-videos}"   # or s3://spectra-videos
: "${CACHE_STORE:=file:///var/lib/clipline}"                   # the cache container name is appended
export VIDEO_STORE CACHE_STORE

# What M1 reads from M0_RESULTS_QUEUE: the chunk message, not the pipe's local history (chunk_path, digests).
results_message() {
  record-shape --keep process_id,chunk_id,chunk_hash,cloud_stream_path,cache_path,start_time,end_time \
    --keep inference_config,inference_modality,chunk_duration,time_offset,live_start_time
}
if [[ ${1:-} == --shape-only ]]; then results_message; exit; fi
export -f results_message
# Each chunk goes to both stores (the cache copy server-side on the same service). By default chunk --to sends it
# part by part while it is cut, each part checked by the store. CHUNK_UPLOAD=files cuts chunk files instead and
# blob-put uploads them once cut.
store_chunks() {
  local persistent="$VIDEO_STORE/{destination_prefix}chunk_{chunk_id:03}.mp4=cloud_stream_path"
  local cache="$CACHE_STORE/{cache_container_name}/temp/{process_id}/chunk_{chunk_id:03}.mp4=cache_path"
  if [[ ${CHUNK_UPLOAD:-parts} == files ]]; then
    chunk | blob-put --to "$persistent" --to "$cache" --ttl cache_path=24h --remove-source --multipart-threshold 1G
  else
    chunk --to "$persistent" --to "$cache" --ttl cache_path=24h
  fi
}
export -f store_chunks
# The handler exits with the FIRST failing stage's code, the cause: a stage further on that got no input then
# fails too (gql-mutate --at-end: 65), and pipefail would report that one, dead-lettering a job whose storage
# was only briefly away (75: retried). A stage whose stdout closed (141) is the victim of a later stage's failure:
# that one's code is the cause, 141 only when no stage says more.
first_failure() {
  local code closed=0
  for code in "$@"; do
    if ((code == 141)); then closed=141; elif ((code != 0)); then return "$code"; fi
  done
  return "$closed"
}
export -f first_failure

exec amqp-consume --queue M0_PRIORITY_QUEUE --dlq M0_DEADLETTER_QUEUE --declare \
  --jobs "${JOBS:-${CONCURRENCY:-2}}" ${COUNT:+--count "$COUNT"} \
  ${GRACE:+--grace "$GRACE"} ${HEALTH_FILE:+--health-file "$HEALTH_FILE"} \
  ${METRICS_LISTEN:+--metrics-listen "$METRICS_LISTEN"} \
  --on-failure 'gql-mutate --op set-status --status FAILED' \
  -- bash -c '
    store_chunks \
    | gql-mutate --op create-chunk \
    | gql-mutate --op set-status --status PROCESSING --at-end \
    | results_message \
    | amqp-pub --queue M0_RESULTS_QUEUE --declare
    first_failure "${PIPESTATUS[@]}"'
