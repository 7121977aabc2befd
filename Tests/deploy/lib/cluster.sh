# A small M0 cluster on hosts of our own (hosts.sh): the service host runs RabbitMQ and the GraphQL backend on
# $SERVICE_ADDRESS and SeaweedFS S3 on $STORAGE_ADDRESS; worker hosts w1..wN run the installed examples/m0-worker.sh
# and reach the services only over their veth link.
# Source after setting CLUSTER (a fresh directory), HOSTS_ID and CLIPLINE_INSTALLED (the installed prefix, e.g.
# $DESTDIR/usr/local). Functions print nothing on stdout unless asked.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
# shellcheck source=hosts.sh
. "$root/Tests/deploy/lib/hosts.sh"
CLUSTER_SECONDS=${CLUSTER_SECONDS:-30}   # source length; chunks of 10 s
CLUSTER_CHUNK=10

cluster_say() { echo "cluster: $*" >&2; }

# cluster_start WORKERS: hosts, services, buckets and the source video.
cluster_start() {
  hosts_require_root || return 1
  hosts_create "$1"
  mkdir -p "$CLUSTER/services"
  # Two calls under one state directory (scripts/services stop ends both): each service on its own address.
  hosts_in svc env CLIPLINE_SERVICES_DIR="$CLUSTER/services" CLIPLINE_BIND_ADDRESS="$SERVICE_ADDRESS" \
    "$root/scripts/services" start rabbitmq graphql > "$CLUSTER/broker.env" || return 1
  hosts_in svc env CLIPLINE_SERVICES_DIR="$CLUSTER/services" CLIPLINE_BIND_ADDRESS="$STORAGE_ADDRESS" \
    "$root/scripts/services" start s3 > "$CLUSTER/storage.env" || return 1
  cat "$CLUSTER/broker.env" "$CLUSTER/storage.env" > "$CLUSTER/services.env"
  if [ ! -f "$CLUSTER/clip.mp4" ]; then
    # 480p30 with a keyframe every second and audio, like a short camera upload.
    ffmpeg -v error -y -f lavfi -i "testsrc2=size=854x480:rate=30:duration=$CLUSTER_SECONDS" \
      -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$CLUSTER_SECONDS" \
      -c:v libx264 -preset veryfast -g 30 -pix_fmt yuv420p -c:a aac -movflags +faststart "$CLUSTER/clip.mp4"
  fi
  cluster_operator storage "$CLUSTER/clip.mp4"
}

# cluster_operator ARGS: cluster.py on the service host, with the services' environment.
cluster_operator() {
  ( set -a; . "$CLUSTER/services.env"; set +a
    hosts_in svc python3 "$root/Tests/deploy/lib/cluster.py" "$@" )
}

cluster_env() {  # cluster_env NAME: one value from the services' environment
  grep "^$1=" "$CLUSTER/services.env" | head -1 | cut -d= -f2-
}

# cluster_worker_start N: the installed M0 worker on host wN, from a clean environment; its log goes to $CLUSTER/wN.log,
# its CPU time (the worker and every handler it ran) $CLUSTER/wN.cpu once it has exited.
cluster_worker_start() {
  local host=w$1 home=$CLUSTER/w$1
  mkdir -p "$home/tmp" "$home/home"
  rm -f "$home/cpu" "$home/health.json"
  echo "== $(date -u +%FT%TZ) worker starts" >> "$CLUSTER/$host.log"
  hosts_in "$host" env -i PATH="$CLIPLINE_INSTALLED/bin:/usr/bin:/bin" HOME="$home/home" TMPDIR="$home/tmp" \
    AMQP_URL="$(cluster_env AMQP_URL)?heartbeat=5" \
    VIDEO_STORE=s3://spectra-videos CACHE_STORE=s3:/ \
    AWS_ENDPOINT_URL_S3="$(cluster_env AWS_ENDPOINT_URL_S3)" AWS_REGION=us-east-1 \
    AWS_ACCESS_KEY_ID="$(cluster_env CLIPLINE_TEST_S3_ACCESS_KEY_ID)" \
    AWS_SECRET_ACCESS_KEY="$(cluster_env CLIPLINE_TEST_S3_SECRET_ACCESS_KEY)" \
    GRAPHQL_ENDPOINT="$(cluster_env GRAPHQL_ENDPOINT)" GRAPHQL_TOKEN="$(cluster_env GRAPHQL_TOKEN)" \
    CONCURRENCY=2 GRACE=30 HEALTH_FILE="$home/health.json" \
    WORKER="$CLIPLINE_INSTALLED/share/clipline/examples/m0-worker.sh" \
    bash -c 'TIMEFORMAT="%R %U %S"; { time "$WORKER" 2>&3; } 3>&2 2>"$HOME/../cpu.tmp"; s=$?
             mv "$HOME/../cpu.tmp" "$HOME/../cpu"; exit $s' >> "$CLUSTER/$host.log" 2>&1 < /dev/null &
  echo $! > "$home/wrapper.pid"
}

cluster_consumer_pid() {  # the amqp-consume process on wN
  local pid
  for pid in $(ip netns pids "$(hosts_ns "w$1")" 2>/dev/null); do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = amqp-consume ] && { echo "$pid"; return 0; }
  done
  return 1
}

# cluster_worker_busy N: true while a handler on wN has a work directory.
cluster_worker_busy() { compgen -G "$CLUSTER/w$1/tmp/amqp-consume.*" >/dev/null; }

# cluster_worker_stop N: SIGTERM, as systemd or the kubelet would send; waits for the worker to finish.
cluster_worker_stop() {
  local wrapper pid
  wrapper=$(cat "$CLUSTER/w$1/wrapper.pid")
  for _ in $(seq 100); do pid=$(cluster_consumer_pid "$1") && [ -n "$pid" ] && break; sleep 0.1; done
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 600); do kill -0 "$wrapper" 2>/dev/null || return 0; sleep 0.1; done
  cluster_say "the worker on w$1 did not stop within 60 s of SIGTERM"
  return 1
}

# cluster_leftovers N: the work directories left on wN (one per line).
cluster_leftovers() { find "$CLUSTER/w$1/tmp" -mindepth 1 -maxdepth 1 2>/dev/null; }

cluster_stop() {
  hosts_in svc env CLIPLINE_SERVICES_DIR="$CLUSTER/services" "$root/scripts/services" stop >/dev/null 2>&1 || true
  hosts_destroy
}
