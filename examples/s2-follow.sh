#!/usr/bin/env bash
# S2, live: every camera followed through KVS GetMedia; each window is stored while it arrives and handed to M0 the
# moment it is complete, as the M0 request examples/s2-worker.sh makes (M0's worker is unchanged). It replaces the
# scheduler and worker pair (s2-scheduler.sh from cron, s2-worker.sh): a window reaches M0 seconds after it ended
# instead of a minute or two. Run it as a service on as many hosts as you like: they share the cameras through Redis
# (each camera followed by exactly one; a dead host's cameras are taken over within 15 s).
#   examples/s2-follow.sh      (AMQP_URL, REDIS_URL, the AWS settings; VIDEO_STORE as s2-worker.sh has it)
# Optional: WINDOW (60s), PROCESS_ID, INFERENCE_CONFIG, HEALTH_FILE, DISCOVER_EVERY (seconds between kvs-discover
# runs, so that new cameras are picked up: 60).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${VIDEO_STORE:=file:///var/lib/clipline/spectra-videos}"   # or s3://spectra-videos
: "${REDIS_URL:=redis://127.0.0.1:6379}"
default_config='{"vlm_provider":"bedrock","system_prompt_key":"security_live_v1"}'
INFERENCE_CONFIG=${INFERENCE_CONFIG:-$default_config}

# The cameras, again every DISCOVER_EVERY seconds: kvs-follow picks up the new ones (a deleted stream drops out).
cameras() {
  while :; do
    kvs-discover --cache "$REDIS_URL"
    sleep "${DISCOVER_EVERY:-60}"
  done
}

cameras \
  | kvs-follow --window "${WINDOW:-60s}" --state "$REDIS_URL" ${HEALTH_FILE:+--health-file "$HEALTH_FILE"} \
      ${PROCESS_ID:+--process-id "$PROCESS_ID"} --inference-config "$INFERENCE_CONFIG" \
      --to "$VIDEO_STORE/live/{camera_id}/{start_time}.mp4=cloud_stream_path" \
  | "$here/s2-worker.sh" --shape-only \
  | amqp-pub --queue M0_PRIORITY_QUEUE --dlq M0_DEADLETTER_QUEUE --declare
