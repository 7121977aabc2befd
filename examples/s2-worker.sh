#!/usr/bin/env bash
# S2's worker: for each KVS task, pull the clip, store it, and hand M0 a request for it.
# A stream that is not ACTIVE yields no clip and no request (exit 0: acked, as the seed drops it);
# any other failure lands the task on S2_PROCESSING_DLQ with the error in its headers.
set -euo pipefail
: "${VIDEO_STORE:=file:///var/lib/clipline/spectra-videos}"   # or s3://spectra-videos
: "${CHUNK_DURATION:=60}"
export VIDEO_STORE CHUNK_DURATION

exec amqp-consume --queue S2_PROCESSING_QUEUE --dlq S2_PROCESSING_DLQ --declare ${COUNT:+--count "$COUNT"} \
  -- bash -o pipefail -c '
    kvs-clip \
    | blob-put --to "$VIDEO_STORE/live/{camera_id}/{start_time}.mp4=cloud_stream_path" --remove-source \
    | jq -c --argjson chunk "$CHUNK_DURATION" "{
        process_id, inference_config,
        inference_modality: \"live\",
        cloud_stream_path,
        destination_prefix: \"processed/live/\(.process_id)/\",
        cache_container_name: \"spectra-cache\",
        live_start_time: (.clip_start_time // .start_time),
        video_preprocessing: {chunk_duration: \$chunk, fps: 15}
      }" \
    | amqp-pub --queue M0_PRIORITY_QUEUE --dlq M0_DEADLETTER_QUEUE --declare'
