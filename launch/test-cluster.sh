#!/usr/bin/env bash
# A whole test cluster on this machine, for tests and soak runs: K network-namespace nodes on a bridge
# (netns-cluster.sh), CURVE keys, a coordinator on the bridge's host address, one agent inside each
# node, and fault injection.
#   launch/test-cluster.sh up NAME K [SLOTS]    start it (SLOTS per node, default 1); prints the endpoint
#   launch/test-cluster.sh down NAME            stop every process it started (and their ranks), remove the
#                                               namespaces and its directory; safe to call twice or after a failure
#   launch/test-cluster.sh cohort NAME ARGS…    a cohort client command against it, with a client key
#                                               (e.g. `cohort NAME submit job.yaml`, `cohort NAME status 1 --json`)
#   launch/test-cluster.sh fault NAME WHAT…     inject a fault:
#       kill-rank JOB RANK     SIGKILL that rank          pause-rank JOB RANK   SIGSTOP it (a hung rank)
#       kill-agent NODE        SIGKILL node NODE's agent  start-agent NODE      start it again
#       cut NODE               take the node's link down  heal NODE             bring it back up
#       slow NODE RATE         rate-limit the node's link (tc tbf, e.g. 1mbit); `heal` removes it
#       loss NODE PCT          random loss (tc netem; refused with a clear error where the kernel lacks sch_netem)
#   launch/test-cluster.sh dir NAME             the cluster's directory (keys, coordinator.yaml, state, logs)
# NODE is 1…K. Environment: COHORT (the binary; default .build/release/cohort beside this script),
# HEARTBEAT_MS (default 500). Needs root and iproute2. Traffic stays on the bridge and the namespaces.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
netns="$here/netns-cluster.sh"
COHORT=${COHORT:-$root/.build/release/cohort}
HEARTBEAT_MS=${HEARTBEAT_MS:-500}
cmd=${1:?usage: test-cluster.sh up NAME K [SLOTS] | down NAME | cohort NAME ARGS… | fault NAME WHAT… | dir NAME}; shift
name=${1:?NAME}; shift
dir=${TMPDIR:-/tmp}/cohort-cluster-$name

die() { echo "error: $*" >&2; exit 1; }
# Daemons must not keep the caller's descriptors: whoever waits for this script (Foundation's Process
# waits for a socket its child inherits to close) would otherwise wait for the daemons too.
close_fds() { local fd; for fd in /proc/$BASHPID/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done; return 0; }
subnet() { head -1 "$dir/hosts" | cut -d' ' -f1 | cut -d. -f1-3; }
endpoint() { echo "tcp://$(subnet).1:5555"; }
node_ns() { [ -n "${1:-}" ] && [ -e "/run/netns/$name-n$1" ] || die "no node '$1' in cluster $name"; echo "$name-n$1"; }

# Pids of job $1's rank $2: among the processes inside this cluster's own namespaces (started by
# its agents and mpirun daemons), those whose environment has COHORT_JOB_ID=$1 and OMPI_COMM_WORLD_RANK=$2.
rank_pids() {
  local ns p env
  for ns in $(ip netns list | awk '{print $1}' | grep "^$name-n[0-9]*$" || true); do
    for p in $(ip netns pids "$ns" 2>/dev/null); do
      env=$( { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null) || continue
      grep -qx "COHORT_JOB_ID=$1" <<<"$env" && grep -qx "OMPI_COMM_WORLD_RANK=$2" <<<"$env" && echo "$p"
    done
  done
  return 0
}

start_agent() {
  local i=$1 ns; ns=$(node_ns "$i")
  local addr; addr=$(sed -n "${i}p" "$dir/hosts" | cut -d' ' -f1)
  (close_fds; exec ip netns exec "$ns" setsid "$COHORT" agent --coordinator "$(endpoint)" --name "n$i" --address "$addr" --slots "$(cat "$dir/slots")" \
    --key "$dir/keys/agent.key" --server-key "$dir/keys/coordinator.pub" >>"$dir/agent-n$i.log" 2>&1 </dev/null) &
  echo $! >"$dir/agent-n$i.pid"
}

case $cmd in
up)
  k=${1:?K}; slots=${2:-1}
  [ -x "$COHORT" ] || die "no cohort binary at $COHORT (build it, or set COHORT)"
  [ ! -e "$dir" ] || die "cluster $name exists ($dir); run 'down $name' first"
  mkdir -p "$dir/keys" "$dir/state"
  echo "$slots" >"$dir/slots"
  bash "$netns" up "$name" "$k" >"$dir/hosts"
  net=$(subnet)
  for key in coordinator agent worker client; do "$COHORT" keys "$key" --dir "$dir/keys" >/dev/null; done
  cat "$dir/keys/agent.pub" "$dir/keys/worker.pub" "$dir/keys/client.pub" >"$dir/keys/authorized_keys"
  cat >"$dir/coordinator.yaml" <<EOF
bind: tcp://$net.1:5555
state_dir: $dir/state
metrics_port: null
heartbeat_interval_ms: $HEARTBEAT_MS
curve_secret_key: $dir/keys/coordinator.key
authorized_keys: $dir/keys/authorized_keys
worker_key: $dir/keys/worker.key
rsh_agent: $netns rsh
mpirun_args: [--mca, routed, direct, --mca, btl, "tcp,self", --mca, btl_tcp_if_include, $net.0/24, --mca, oob_tcp_if_include, "$name-br,eth0"]
EOF
  (close_fds; exec setsid "$COHORT" coordinator --config "$dir/coordinator.yaml" >>"$dir/coordinator.log" 2>&1 </dev/null) &
  echo $! >"$dir/coordinator.pid"
  for i in $(seq 1 "$k"); do start_agent "$i"; done
  # Up when every agent is live.
  for _ in $(seq 1 100); do
    live=$("$0" cohort "$name" nodes --json 2>/dev/null | grep -c '"live" : true' || true)
    [ "$live" = "$k" ] && { endpoint; exit 0; }
    sleep 0.1
  done
  die "the $k agents of cluster $name did not all register (see $dir/*.log)"
  ;;
down)
  if [ -d "$dir" ]; then
    for f in "$dir"/agent-*.pid "$dir"/coordinator.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true; done
    # Ranks and mpirun daemons of this cluster's jobs: whatever runs inside its namespaces, and the
    # mpirun wrappers the coordinator started.
    for ns in $(ip netns list | awk '{print $1}' | grep "^$name-n[0-9]*$" || true); do
      for p in $(ip netns pids "$ns" 2>/dev/null); do kill -CONT "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null || true; done
    done
    # Each attempt's wrapper runs in its own session (its process group, mpirun in it) and records
    # mpirun's pid in the attempt's directory: kill that group.
    for f in "$dir"/state/jobs/*/attempt-*/mpirun.pid; do
      [ -f "$f" ] || continue
      pg=$(ps -o pgid= -p "$(cat "$f")" 2>/dev/null | tr -d ' ') || true
      [ -n "$pg" ] && kill -9 -- "-$pg" 2>/dev/null || true
    done
  fi
  bash "$netns" down "$name"
  rm -rf "$dir"
  ;;
cohort)
  COHORT_KEY=$dir/keys/client.key COHORT_SERVER_KEY=$dir/keys/coordinator.pub exec "$COHORT" "$1" --coordinator "$(endpoint)" "${@:2}"
  ;;
fault)
  what=${1:?kill-rank|pause-rank|kill-agent|start-agent|cut|heal|slow|loss}; shift
  case $what in
  kill-rank|pause-rank)
    pids=$(rank_pids "${1:?JOB}" "${2:?RANK}")
    [ -n "$pids" ] || die "no process of job $1 rank $2 is running"
    sig=KILL; [ "$what" = pause-rank ] && sig=STOP
    kill -s "$sig" $pids; echo "$what: job $1 rank $2 pid $pids";;
  kill-agent) node_ns "${1:?NODE}" >/dev/null; kill -9 "$(cat "$dir/agent-n$1.pid")"; echo "killed agent n$1";;
  start-agent) start_agent "${1:?NODE}"; echo "started agent n$1";;
  cut) ip -n "$(node_ns "${1:?NODE}")" link set eth0 down; echo "cut n$1";;
  heal)
    ns=$(node_ns "${1:?NODE}")
    ip -n "$ns" link set eth0 up
    tc qdisc del dev "$name-v$1" root 2>/dev/null || true
    echo "healed n$1";;
  slow) node_ns "${1:?NODE}" >/dev/null; tc qdisc replace dev "$name-v$1" root tbf rate "${2:?RATE}" burst 32kbit latency 400ms; echo "n$1 limited to $2";;
  loss)
    node_ns "${1:?NODE}" >/dev/null
    tc qdisc replace dev "$name-v$1" root netem loss "${2:?PCT}%" 2>/dev/null \
      || die "tc netem is not available in this kernel (sch_netem); use 'cut' or 'slow' instead"
    echo "n$1 loses $2% of packets";;
  *) die "unknown fault '$what' (kill-rank, pause-rank, kill-agent, start-agent, cut, heal, slow, loss)";;
  esac
  ;;
dir) echo "$dir";;
*) die "unknown command '$cmd' (up, down, cohort, fault, dir)";;
esac
