#!/usr/bin/env bash
# One node, N ranks: launch/local.sh N SPEC.yaml [cohort train options…]
# Same as `cohort run -n N SPEC.yaml`, spelled out for people who want to see the mpirun line.
set -euo pipefail
n=${1:?usage: launch/local.sh N SPEC.yaml [train options]}; spec=${2:?usage: launch/local.sh N SPEC.yaml [train options]}; shift 2
here=$(cd "$(dirname "$0")/.." && pwd)
cohort=${COHORT:-$here/.build/release/cohort}
[ -x "$cohort" ] || { echo "error: $cohort not built (run: swift build -c release)" >&2; exit 1; }
[ -f "$spec" ] || { echo "error: job spec not found: $spec" >&2; exit 1; }
case $n in ''|*[!0-9]*|0) echo "error: rank count must be a positive integer, got '$n'" >&2; exit 64;; esac
cores=$(nproc)
extra=(--bind-to core)
if [ "$n" -gt "$cores" ]; then
  [ "${OVERSUBSCRIBE:-0}" = 1 ] || { echo "error: $n ranks exceed the $cores cores of this machine; set OVERSUBSCRIBE=1" >&2; exit 1; }
  extra=(--oversubscribe --bind-to none)
fi
root=(); [ "$(id -u)" = 0 ] && root=(--allow-run-as-root)
export PMIX_MCA_gds=${PMIX_MCA_gds:-hash} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
# cohort chooses OPENBLAS_CORETYPE itself (each rank re-executes once) unless it is set here.
exec mpirun "${root[@]}" -np "$n" "${extra[@]}" -x PMIX_MCA_gds -x OPENBLAS_NUM_THREADS \
  ${OPENBLAS_CORETYPE:+-x OPENBLAS_CORETYPE} "$cohort" train "$spec" "$@"
