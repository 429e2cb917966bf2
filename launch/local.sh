#!/usr/bin/env bash
# One node, N ranks: launch/local.sh N SPEC.yaml [cohort train options…]
# Same as `cohort run -n N SPEC.yaml`, with the mpirun line in plain sight (DRY_RUN=1 prints it).
set -euo pipefail
n=${1:?usage: launch/local.sh N SPEC.yaml [train options]}; spec=${2:?usage: launch/local.sh N SPEC.yaml [train options]}; shift 2
here=$(cd "$(dirname "$0")/.." && pwd)
cohort=${COHORT:-$here/.build/release/cohort}
[ -x "$cohort" ] || { echo "error: $cohort not built (run: swift build -c release)" >&2; exit 1; }
[ -f "$spec" ] || { echo "error: job spec not found: $spec" >&2; exit 1; }
case $n in ''|*[!0-9]*|0) echo "error: rank count must be a positive integer, got '$n'" >&2; exit 64;; esac
cores=$(nproc)
placement=(--bind core)
if [ "$n" -gt "$cores" ]; then
  [ "${OVERSUBSCRIBE:-0}" = 1 ] || { echo "error: $n ranks exceed the $cores cores of this machine; set OVERSUBSCRIBE=1" >&2; exit 1; }
  placement=(--oversubscribe --bind none)
fi
export PMIX_MCA_gds=${PMIX_MCA_gds:-hash} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
# cohort chooses OPENBLAS_CORETYPE itself (each rank re-executes once) unless it is set here.
# The mpirun line comes from `cohort mpirun-line` (MPIRunCommand, the builder the coordinator's launches
# use too): it forwards BLAS, PMIx and every collective setting that is set here. DRY_RUN=1 prints
# it, one argument a line, instead of running it. (COHORT_BLAS_READY=1 keeps cohort from choosing a
# BLAS core for itself first: that choice would be forwarded; each rank chooses its own.)
mapfile -d '' cmd < <(COHORT_BLAS_READY=1 "$cohort" mpirun-line --ranks "$n" "${placement[@]}" -- "$cohort" train "$spec" "$@")
[ "${#cmd[@]}" -gt 0 ] || { echo "error: $cohort mpirun-line printed no command line" >&2; exit 1; }
if [ "${DRY_RUN:-0}" = 1 ]; then printf '%s\n' "${cmd[@]}"; exit 0; fi
exec "${cmd[@]}"
