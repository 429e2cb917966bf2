#!/usr/bin/env bash
# A cluster of K "nodes" on this machine: network namespaces on a bridge, for tests.
#   launch/netns-cluster.sh up NAME K      make bridge NAME-br (10.A.B.1/24) and nodes NAME-n1…NAME-nK
#                                          (10.A.B.2…); prints a hostfile line per node
#   launch/netns-cluster.sh down NAME      remove them (safe to call twice, and after a failure)
#   launch/netns-cluster.sh rsh HOST CMD…  mpirun's rsh agent: run CMD inside HOST's namespace
#   launch/netns-cluster.sh shape NAME RATE limit every node's link to RATE (tc tbf, e.g. 1gbit;
#                                          "none" removes the limit), both directions
# A.B is derived from NAME (50,000 subnets), so parallel runs with different names do not share one. Traffic stays
# on these namespaces and the host end of the bridge. Needs root and iproute2 (../shared/multinode.md).
# mpirun across these nodes wants `--mca rtc_hwloc_vmhole none`: OpenMPI 4.1's daemons otherwise
# map a shared topology at an address chosen on the host, and sometimes crash (SIGSEGV in
# hwloc_shmem_topology_write) when that address is taken in theirs.
set -euo pipefail
cmd=${1:?usage: netns-cluster.sh up NAME K | down NAME | rsh HOST CMD…}; shift

subnet() { local h; h=$(cksum <<<"$1" | cut -d' ' -f1); echo "10.$(( h % 200 + 20 )).$(( h / 200 % 250 ))"; }

case $cmd in
up)
  name=${1:?NAME}; k=${2:?K}; net=$(subnet "$name")
  ip link add "$name-br" type bridge
  ip addr add "$net.1/24" dev "$name-br"
  ip link set "$name-br" up
  for i in $(seq 1 "$k"); do
    ns="$name-n$i"
    ip netns add "$ns"
    ip link add "$name-v$i" type veth peer name eth0 netns "$ns"
    ip link set "$name-v$i" master "$name-br" up
    ip -n "$ns" addr add "$net.$((i + 1))/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    echo "$net.$((i + 1)) slots=1"
  done
  ;;
down)
  name=${1:?NAME}
  # The host ends of the veth pairs first: deleting one end removes both at once, while a deleted
  # namespace frees its end asynchronously (an `up` right after would find the name taken).
  for v in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^$name-v[0-9]*$" || true); do ip link del "$v" 2>/dev/null || true; done
  for ns in $(ip netns list | awk '{print $1}' | grep "^$name-n[0-9]*$" || true); do ip netns del "$ns" || true; done
  ip link del "$name-br" 2>/dev/null || true
  ;;
shape)
  name=${1:?NAME}; rate=${2:?RATE}
  for v in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^$name-v[0-9]*$"); do
    i=${v##*-v}
    tc qdisc del dev "$v" root 2>/dev/null || true
    ip netns exec "$name-n$i" tc qdisc del dev eth0 root 2>/dev/null || true
    [ "$rate" = none ] && continue
    # The host end shapes traffic into the node, the namespace end traffic out of it.
    tc qdisc add dev "$v" root tbf rate "$rate" burst 128kb latency 20ms
    ip netns exec "$name-n$i" tc qdisc add dev eth0 root tbf rate "$rate" burst 128kb latency 20ms
  done
  ;;
rsh)
  # mpirun calls: AGENT [options] HOST CMD…; options (e.g. -x) are ssh's, ignored here.
  while [ "${1:-}" != "" ] && [ "${1#-}" != "$1" ]; do shift; done
  host=${1:?HOST}; shift
  ns=""
  for n in $(ip netns list | awk '{print $1}'); do
    if ip -n "$n" -4 addr show dev eth0 2>/dev/null | grep -q "inet $host/"; then ns=$n; break; fi
  done
  [ -n "$ns" ] || { echo "error: no namespace has address $host" >&2; exit 1; }
  # Each node in its own session, so its own scheduler autogroup (kernel.sched_autogroup_enabled):
  # otherwise every node of a run shares the one autogroup of the shell that started it, and on a
  # machine others load too, K nodes together get the CPU share one process would, where K real
  # machines would each get their own. COHORT_NODE_SESSIONS=0 keeps the caller's session.
  if [ "${COHORT_NODE_SESSIONS:-1}" != 0 ]; then exec setsid -w ip netns exec "$ns" sh -c "$*"; fi
  exec ip netns exec "$ns" sh -c "$*"
  ;;
*) echo "error: unknown command '$cmd' (up, down, shape, rsh)" >&2; exit 64;;
esac
