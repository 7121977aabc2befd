#!/usr/bin/env bash
# S2's scheduler, for cron every minute: one KVS task per active camera for the last whole minute.
#   * * * * *  AMQP_URL=… REDIS_URL=… /opt/clipline/examples/s2-scheduler.sh
# An S2 deployment's REDIS_HOST/REDIS_PORT/REDIS_PASSWORD name the cache instead of REDIS_URL (kvs-discover reads
# them), and its S2_CLIP_DURATION (seconds) the window when WINDOW is unset.
# Reruns within the same minute produce the same tasks (windows are aligned), so a retried cron run is harmless.
# Each task's process_id is minted from its camera and window (the same on a rerun), so no two tasks share storage
# keys; PROCESS_ID overrides it only for a one-camera, one-window run.
# Optional: STREAM_PREFIX (only the streams whose names begin with it), AT (an RFC 3339 time to run as: a missed
# minute made up later gives the tasks it would have given then).
set -euo pipefail
default_config='{"vlm_provider":"bedrock","system_prompt_key":"security_live_v1"}'
INFERENCE_CONFIG=${INFERENCE_CONFIG:-$default_config}

if [[ -z ${REDIS_URL:-} && -z ${REDIS_HOST:-} ]]; then export REDIS_URL=redis://127.0.0.1:6379; fi
kvs-discover --window "${WINDOW:-${S2_CLIP_DURATION:-60}s}" \
    ${PROCESS_ID:+--process-id "$PROCESS_ID"} --inference-config "$INFERENCE_CONFIG" \
    ${STREAM_PREFIX:+--prefix "$STREAM_PREFIX"} ${AT:+--at "$AT"} \
  | amqp-pub --queue S2_PROCESSING_QUEUE --dlq S2_PROCESSING_DLQ --declare
