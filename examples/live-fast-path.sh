#!/usr/bin/env bash
# The live fast path, when a window is a chunk (a 60 s camera window is one 60 s chunk): every camera followed through
# KVS GetMedia, each window stored twice while it arrives (persistent, and cache with a TTL), recorded through
# GraphQL and handed to M1 on M0_RESULTS_QUEUE as M0's chunk message, without M0 downloading and cutting it again.
# The ids are the same when a window is cut again (after a restart or a failover), so M1 sees the same chunk.
# Run it as a service on as many hosts as you like: they share the cameras through Redis.
#   examples/live-fast-path.sh   (AMQP_URL, REDIS_URL, GRAPHQL_ENDPOINT, GRAPHQL_TOKEN, the AWS settings)
# Optional: WINDOW (60s), VIDEO_STORE, CACHE_STORE, CACHE_CONTAINER, INFERENCE_CONFIG, HEALTH_FILE, DISCOVER_EVERY.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${VIDEO_STORE:=file:///var/lib/clipline/spectra-videos}"   # or s3://spectra-videos
: "${CACHE_STORE:=file:///var/lib/clipline}"                   # the cache container name is appended
: "${CACHE_CONTAINER:=spectra-cache}"
: "${REDIS_URL:=redis://127.0.0.1:6379}"
default_config='{"vlm_provider":"bedrock","system_prompt_key":"security_live_v1"}'
INFERENCE_CONFIG=${INFERENCE_CONFIG:-$default_config}

cameras() {
  while :; do
    kvs-discover --cache "$REDIS_URL"
    sleep "${DISCOVER_EVERY:-60}"
  done
}

# One job per camera and window: its process_id is minted from the camera and the window's start (the same whenever
# the window is cut).
cameras \
  | kvs-follow --window "${WINDOW:-60s}" --state "$REDIS_URL" ${HEALTH_FILE:+--health-file "$HEALTH_FILE"} \
      --record chunk --inference-config "$INFERENCE_CONFIG" \
      --to "$VIDEO_STORE/processed/live/{camera_id}/{start_time}.mp4=cloud_stream_path" \
      --to "$CACHE_STORE/$CACHE_CONTAINER/temp/{camera_id}/{start_time}.mp4=cache_path" --ttl cache_path=24h \
  | gql-mutate --op create-chunk \
  | "$here/m0-worker.sh" --shape-only \
  | amqp-pub --queue M0_RESULTS_QUEUE --declare
