#!/usr/bin/env bash
# Soak test of fault recovery: N jobs (default 100), each on a fresh 3-node namespace cluster
# (launch/test-cluster.sh) and hit by one random fault at a random step: a SIGKILLed rank, a SIGSTOPped
# (hung) rank, or a node whose agent is killed and whose link is cut. A job counts as correct when it
# succeeds with the parameters of a clean run resumed from the checkpoint its last attempt started at.
# Prints one line per job and "soak: K of N jobs finished correctly". Needs root, iproute2 and the
# data set (make deps); takes ~20 s a job.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100}
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "error: N must be a positive integer, got '$n'" >&2; exit 64; }
swift build -c release --build-tests >/dev/null
COHORT_SOAK=$n swift test -c release --skip-build --disable-testable-imports --disable-swift-testing \
  --filter 'ClusterFaultTests/testSoak' 2>&1 | grep --line-buffered -E '^soak|error:'
