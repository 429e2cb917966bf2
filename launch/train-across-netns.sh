#!/usr/bin/env bash
# Trains a job spec across K network-namespace nodes on this machine, one rank each, links
# optionally shaped, with mpirun as ../shared/multinode.md sets it up; prints the run's summary.
#   launch/train-across-netns.sh SPEC K [RATE|none] [cohort train options…]
# e.g. launch/train-across-netns.sh cluster/jobs/w-bf16-2nodes.yaml 2 1gbit
# Needs root and iproute2; the nodes are removed on exit.
set -euo pipefail
spec=${1:?SPEC}; k=${2:?K}; rate=${3:-none}; shift $(( $# < 3 ? $# : 3 ))
here=$(cd "$(dirname "$0")" && pwd); net="$here/netns-cluster.sh"
cohort=${COHORT:-$here/../.build/release/cohort}
name="tx$(( $$ % 100000 ))"; dir=$(mktemp -d)
trap 'bash "$net" down "$name"; rm -rf "$dir"' EXIT
bash "$net" up "$name" "$k" > "$dir/hosts"
bash "$net" shape "$name" "$rate"
subnet="$(head -1 "$dir/hosts" | cut -d. -f1-3).0/24"
export PMIX_MCA_gds=hash
mpirun --allow-run-as-root --hostfile "$dir/hosts" -np "$k" --bind-to none \
  --mca plm_rsh_agent "$net rsh" --mca btl tcp,self --mca btl_tcp_if_include "$subnet" \
  --mca oob_tcp_if_include "$name-br,eth0" --mca rtc_hwloc_vmhole none --mca routed direct -x PMIX_MCA_gds \
  "$cohort" train "$spec" --plain --summary-json "$dir/summary.json" "$@" >&2
cat "$dir/summary.json"; echo
