#!/usr/bin/env bash
# Several nodes from a hostfile: launch/mpirun-hostfile.sh HOSTFILE N SPEC.yaml [train options…]
# HOSTFILE lines: "ADDRESS slots=K" (see cluster/hostfile.example). Every node needs the same
# cohort binary at the same path and the data set. Extra mpirun options: MPIRUN_ARGS="…"
# (e.g. an rsh agent for network namespaces: MPIRUN_ARGS="--mca plm_rsh_agent /path/agent").
set -euo pipefail
usage="usage: launch/mpirun-hostfile.sh HOSTFILE N SPEC.yaml [train options]"
hostfile=${1:?$usage}; n=${2:?$usage}; spec=${3:?$usage}; shift 3
here=$(cd "$(dirname "$0")/.." && pwd)
cohort=${COHORT:-$here/.build/release/cohort}
[ -f "$hostfile" ] || { echo "error: hostfile not found: $hostfile" >&2; exit 1; }
[ -f "$spec" ] || { echo "error: job spec not found: $spec" >&2; exit 1; }
case $n in ''|*[!0-9]*|0) echo "error: rank count must be a positive integer, got '$n'" >&2; exit 64;; esac
slots=0
while read -r host rest; do
  case $host in ''|'#'*) continue;; esac
  getent hosts "$host" >/dev/null || { echo "error: hostfile $hostfile names an unknown host '$host'" >&2; exit 1; }
  k=$(sed -n 's/.*slots=\([0-9]*\).*/\1/p' <<<"$rest"); slots=$((slots + ${k:-1}))
done <"$hostfile"
[ "$n" -le "$slots" ] || { echo "error: $n ranks asked, but $hostfile offers only $slots slots" >&2; exit 1; }
export PMIX_MCA_gds=${PMIX_MCA_gds:-hash} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
# The mpirun line comes from `cohort mpirun-line` (MPIRunCommand, the builder the coordinator's launches
# use too): it forwards BLAS, PMIx and every collective setting that is set here. DRY_RUN=1 prints
# it, one argument a line, instead of running it. (COHORT_BLAS_READY=1 keeps cohort from choosing a
# BLAS core for itself first: that choice would be forwarded; each rank chooses its own.)
mapfile -d '' cmd < <(COHORT_BLAS_READY=1 "$cohort" mpirun-line --ranks "$n" --hostfile "$hostfile" -- "$cohort" train "$spec" "$@")
[ "${#cmd[@]}" -gt 0 ] || { echo "error: $cohort mpirun-line printed no command line" >&2; exit 1; }
if [ "${DRY_RUN:-0}" = 1 ]; then printf '%s\n' "${cmd[@]}"; exit 0; fi
exec "${cmd[@]}"
