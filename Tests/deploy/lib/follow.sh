# Live follow on hosts of our own (hosts.sh): the service host runs Redis and the KVS testbed on $SERVICE_ADDRESS and
# the cameras (ffmpeg sending into PutMedia in real time); worker hosts w1..wN run kvs-follow with their cameras
# shared through Redis leases (--state redis://), and reach the services only over their veth link.
# Source after setting FOLLOW (a fresh directory), HOSTS_ID and FOLLOW_BIN (the directory holding kvs-follow).
# Functions print nothing on stdout unless asked.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
# shellcheck source=hosts.sh
. "$root/Tests/deploy/lib/hosts.sh"
FOLLOW_WINDOW=${FOLLOW_WINDOW:-4}   # seconds
FOLLOW_LEASE=${FOLLOW_LEASE:-10}    # seconds

follow_say() { echo "follow: $*" >&2; }

follow_env() { grep "^$1=" "$FOLLOW/services.env" | head -1 | cut -d= -f2-; }

# follow_start WORKERS CAMERAS: hosts, Redis and the KVS testbed, CAMERAS streams each with its camera.
follow_start() {
  local workers=$1 cameras=$2 n kvs
  hosts_require_root || return 1
  hosts_create "$workers"
  mkdir -p "$FOLLOW/services"
  hosts_in svc env CLIPLINE_SERVICES_DIR="$FOLLOW/services" CLIPLINE_BIND_ADDRESS="$SERVICE_ADDRESS" \
    "$root/scripts/services" start redis kvs > "$FOLLOW/services.env" || return 1
  kvs=$(follow_env AWS_ENDPOINT_URL_KINESIS_VIDEO)
  if [ ! -f "$FOLLOW/camera.mkv" ]; then
    ffmpeg -v error -y -f lavfi -i testsrc2=size=640x360:rate=25 -t 20 -c:v libx264 -preset veryfast -g 25 \
      -keyint_min 25 -sc_threshold 0 -bf 0 -pix_fmt yuv420p "$FOLLOW/camera.mkv"
  fi
  : > "$FOLLOW/cameras.jsonl"
  for n in $(seq "$cameras"); do
    hosts_in svc python3 - "$kvs" "follow-cam-$n" >> "$FOLLOW/cameras.jsonl" <<'PY' || return 1
import json, sys, urllib.request
body = json.dumps({"name": sys.argv[2]}).encode()
arn = json.load(urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/_clipline/streams", data=body)))
print(json.dumps({"camera_id": sys.argv[2], "stream_name": sys.argv[2], "stream_arn": arn["StreamARNs"][0],
                  "status": "ACTIVE"}))
PY
    hosts_in svc setsid ffmpeg -v error -nostdin -re -stream_loop -1 -i "$FOLLOW/camera.mkv" -c copy -f matroska \
      -cluster_time_limit 100 -method POST -headers "x-amzn-stream-name: follow-cam-$n"$'\r\n' "$kvs/putMedia" \
      >> "$FOLLOW/cameras.log" 2>&1 < /dev/null &
  done
}

# follow_worker_start N: kvs-follow on host wN, fed the camera records (its stdin stays open, as a pipe from
# kvs-discover does), records to $FOLLOW/wN/records.jsonl, each with the time it was written.
follow_worker_start() {
  local home=$FOLLOW/w$1
  mkdir -p "$home"
  hosts_in "w$1" env -i PATH="$FOLLOW_BIN:/usr/bin:/bin" HOME="$home" \
    AWS_ENDPOINT_URL_KINESIS_VIDEO="$(follow_env AWS_ENDPOINT_URL_KINESIS_VIDEO)" AWS_REGION=us-east-1 \
    AWS_ACCESS_KEY_ID="$(follow_env KVS_TEST_AWS_ACCESS_KEY_ID)" \
    AWS_SECRET_ACCESS_KEY="$(follow_env KVS_TEST_AWS_SECRET_ACCESS_KEY)" \
    setsid bash -c '(cat "$0"; exec sleep 100000) | kvs-follow --window "$1s" --lease "$2s" --state "$3" \
        --work-dir "$4/windows" --health-file "$4/health.json" \
      | while IFS= read -r line; do printf "%s %s\n" "$(date +%s.%N)" "$line"; done > "$4/records"' \
      "$FOLLOW/cameras.jsonl" "$FOLLOW_WINDOW" "$FOLLOW_LEASE" "$(follow_env REDIS_URL)" "$home" \
    >> "$FOLLOW/w$1.log" 2>&1 < /dev/null &
}

# follow_host_dies N: the host's link cut, then every process in it SIGKILLed (the machine lost its power).
follow_host_dies() {
  hosts_cut "w$1"
  hosts_kill "w$1"
}

# follow_worker_stop N: SIGTERM to kvs-follow on wN, as systemd would send; waits for it.
follow_worker_stop() {
  local pid
  for pid in $(ip netns pids "$(hosts_ns "w$1")" 2>/dev/null); do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = kvs-follow ] && kill -TERM "$pid"
  done
  for _ in $(seq 50); do
    pgrep_in_host=$(ip netns pids "$(hosts_ns "w$1")" 2>/dev/null | while read -r pid; do
      [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = kvs-follow ] && echo "$pid"; done)
    [ -z "$pgrep_in_host" ] && break
    sleep 0.1
  done
  hosts_kill "w$1"
}

# follow_check HOSTS...: per camera, the windows of every host merged: each once (one written twice must be the same
# record), none missing between the first and the last; prints each camera's takeover (from $FOLLOW/killed_at, the
# time the dead host died, to the first record of another host) when there is one.
follow_check() {
  python3 "$root/Tests/deploy/lib/follow_check.py" "$FOLLOW" "$FOLLOW_WINDOW" "$@"
}

follow_stop() {
  hosts_in svc env CLIPLINE_SERVICES_DIR="$FOLLOW/services" "$root/scripts/services" stop >/dev/null 2>&1 || true
  hosts_destroy
}
