# Hosts of our own on this machine: network namespaces joined through a router namespace by veth pairs, each pair
# with a private /30 made for it. Nothing here touches the machine's own interfaces or addresses: every link is
# created inside a namespace made here (ip -n NS link add ... peer ... netns OTHER), and every address is one of ours.
#
#   router (ip_forward)  r0 10.250.0.1/30 ---- eth0 10.250.0.2  service host: RabbitMQ, GraphQL
#                        r1 10.250.1.1/30 ---- eth1 10.250.1.2  service host: SeaweedFS S3 (its own link, so storage
#                                                               can be made unreachable alone)
#                        rN 10.250.N+1.1/30 -- eth0 10.250.N+1.2  worker host N
# A link cut (hosts_cut) takes the router's end down; a blackhole route behind every pair's connected route then drops
# the packets silently, as a dead or partitioned host looks to its peers (no refusal, no ICMP: only timeouts).
# Source with HOSTS_ID set (a few letters, unique per run); needs root (ip netns).

hosts_ns() { echo "clipline-$HOSTS_ID-$1"; }   # hosts_ns router|svc|w1|w2|...
SERVICE_ADDRESS=10.250.0.2
STORAGE_ADDRESS=10.250.1.2

hosts_in() { local host=$1; shift; ip netns exec "$(hosts_ns "$host")" "$@"; }

hosts_require_root() {
  [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null && return 0
  echo "hosts: network namespaces need root and iproute2 (ip netns); run as root with scripts/setup done" >&2
  return 1
}

# hosts_link ROUTER_IF HOST HOST_IF INDEX: the pair 10.250.INDEX.0/30, .1 on the router, .2 on HOST.
hosts_link() {
  local router; router=$(hosts_ns router)
  local ns; ns=$(hosts_ns "$2")
  ip -n "$router" link add "$1" type veth peer name "$3" netns "$ns"
  ip -n "$router" addr add "10.250.$4.1/30" dev "$1"
  ip -n "$ns" addr add "10.250.$4.2/30" dev "$3"
  ip -n "$router" link set "$1" up
  ip -n "$ns" link set "$3" up
  ip -n "$router" route add blackhole "10.250.$4.0/30" metric 100
}

hosts_add() {  # hosts_add NAME: an empty namespace with loopback up
  ip netns add "$(hosts_ns "$1")"
  ip -n "$(hosts_ns "$1")" link set lo up
}

# hosts_create WORKERS: the router, the service host and WORKERS worker hosts w1..wN.
hosts_create() {
  local workers=$1 n
  hosts_add router
  hosts_in router sysctl -qw net.ipv4.ip_forward=1
  hosts_add svc
  hosts_link r0 svc eth0 0
  hosts_link r1 svc eth1 1
  ip -n "$(hosts_ns svc)" route add default via 10.250.0.1 dev eth0
  # Answers from the storage address leave by the storage link (so cutting it cuts both directions).
  ip -n "$(hosts_ns svc)" rule add from "$STORAGE_ADDRESS" table 101
  ip -n "$(hosts_ns svc)" route add default via 10.250.1.1 dev eth1 table 101
  for n in $(seq "$workers"); do
    hosts_add "w$n"
    hosts_link "r$((n + 1))" "w$n" eth0 "$((n + 1))"
    ip -n "$(hosts_ns "w$n")" route add default via "10.250.$((n + 1)).1" dev eth0
  done
}

hosts_router_end() {  # the router's interface toward a host: svc -> r0, storage -> r1, wN -> rN+1
  case "$1" in svc) echo r0 ;; storage) echo r1 ;; w*) echo "r$((${1#w} + 1))" ;; esac
}
hosts_cut() { ip -n "$(hosts_ns router)" link set "$(hosts_router_end "$1")" down; }
hosts_restore() { ip -n "$(hosts_ns router)" link set "$(hosts_router_end "$1")" up; }

# hosts_kill HOST: every process of the host, at once, with SIGKILL (the machine lost its power).
hosts_kill() {
  local pids
  pids=$(ip netns pids "$(hosts_ns "$1")" 2>/dev/null || true)
  [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
}

hosts_destroy() {  # every process in our namespaces, then the namespaces (their links go with them)
  local ns
  for ns in $(ip netns list | awk '{print $1}' | grep "^clipline-$HOSTS_ID-" || true); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
  done
  sleep 0.2
  for ns in $(ip netns list | awk '{print $1}' | grep "^clipline-$HOSTS_ID-" || true); do
    ip netns del "$ns" 2>/dev/null || true
  done
}
