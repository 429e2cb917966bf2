#!/usr/bin/env bash
# Runs the XCTest bundle as several xctest processes at once (`make test TEST_JOBS=N`, N > 1).
#   Tests/run-parallel.sh BUNDLE [JOBS]
#     BUNDLE  .build/<config>/CohortPackageTests.xctest, built by `swift build --build-tests`
#     JOBS    xctest processes at once (default: COHORT_TEST_JOBS, else one more than the cores)
# Run one after another, the tests keep under one core busy: most of their time is spent waiting
# (heartbeats, timeouts, mpirun and daemons starting). A unit (a slow test alone, a class, or the
# light classes of one module together) runs in its own process, the slowest first (seconds per
# test from the last run here, .build/test-seconds.txt, else Tests/test-seconds.txt); its output is
# printed whole when it ends, so the log shows each test's lines together, as one process would.
# Ends with the line "N passed, N failed, N skipped"; exits 1 if a test failed or never reported
# (its process crashed or hung up), 0 otherwise. Tests must not collide: every name, port, directory
# and process a test makes is its own (the README's testing section).
set -uo pipefail
bundle=${1:?usage: run-parallel.sh BUNDLE [JOBS]}
jobs=${2:-${COHORT_TEST_JOBS:-$(( $(nproc) + 1 ))}}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
work=$(mktemp -d "${TMPDIR:-/tmp}/cohort-tests.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Ctrl-C or a timeout: end the xctest processes this script started (each by its pid), then stop.
trap 'for p in $(jobs -p); do kill "$p" 2>/dev/null; done; wait; exit 130' INT TERM

# SwiftPM's observer in the bundle appends every test event here; start it empty, as `swift test` does.
rm -f "$(dirname "$bundle")/testOutput.txt"
"$bundle" --list-tests | grep -E '^[A-Za-z0-9_]+\.[A-Za-z0-9_]+/[A-Za-z0-9_]+$' >"$work/tests"
[ -s "$work/tests" ] || { echo "error: $bundle lists no tests"; exit 1; }
times=$root/.build/test-seconds.txt
[ -s "$times" ] || times=$here/test-seconds.txt

# Units, one a line: estimated seconds, a tab, the comma-separated specifiers xctest takes. A class
# whose tests take 4 s or more in all is split into one unit per test; a class under 1 s joins the
# other light classes of its module. A test not in the times file counts as 2 s.
awk -v OFS='\t' '
  FNR == NR { secs[$2] = $1; next }
  {
    cls = substr($0, 1, index($0, "/") - 1); name = substr($0, index($0, "/") + 1)
    mod = substr(cls, 1, index(cls, ".") - 1); key = substr(cls, index(cls, ".") + 1) "." name
    s = (key in secs) ? secs[key] + 0 : 2
    if (!(cls in total)) { order[++nc] = cls; module[cls] = mod }
    total[cls] += s; count[cls]++; test[cls, count[cls]] = $0; cost[cls, count[cls]] = s
  }
  END {
    for (i = 1; i <= nc; i++) {
      c = order[i]
      if (total[c] >= 4) { for (j = 1; j <= count[c]; j++) print cost[c, j] + 0.2, test[c, j] }
      else if (total[c] >= 1) print total[c] + 0.2, c
      else {
        m = module[c]
        if (m in light) light[m] = light[m] "," c; else light[m] = c
        lightSecs[m] += total[c]
      }
    }
    for (m in light) print lightSecs[m] + 0.2, light[m]
  }' "$times" "$work/tests" | sort -t$'\t' -k1,1 -gr >"$work/units"

# Classes that start `cohort agent`s in this machine's own network namespace (LocalCluster,
# TestCluster, an embedded cluster of `cohort run`, …), found in their sources. Such an agent takes
# every rank process of its namespace with COHORT_JOB_ID=N for its job N, and every coordinator
# numbers its jobs from 1: a cancel, fault or resize in one of these tests would kill another's
# ranks. So at most one unit holding one of them runs at a time (beside any number of others).
for f in $(grep -lE 'LocalCluster\(name|TestCluster\(name|CurveFixture\(|Agent\(name|\["run", |"run", "-n"' "$here"/*/*.swift); do
  m=$(basename "$(dirname "$f")")
  sed -nE "s/^(final )?class ([A-Za-z0-9_]+): XCTestCase.*/$m.\2/p" "$f"
done | sort -u >"$work/agent-classes"
is_agent_unit() {  # spec: comma-separated Module.Class or Module.Class/test
  local part
  IFS=, read -ra parts <<<"$1"
  for part in "${parts[@]}"; do grep -qxF "${part%%/*}" "$work/agent-classes" && return 0; done
  return 1
}

run_unit() {
  local i=$1 spec=$2
  # stdin from /dev/null: mpirun forwards its stdin to rank 0 and would eat the list of units.
  (cd "$root" && exec "$bundle" "$spec") </dev/null >"$work/$i.log" 2>&1
  echo $? >"$work/$i.rc"
  { flock 9; cat "$work/$i.log"; } 9>"$work/print.lock"
  rm -f "$work/$i.agents"
}

start=$SECONDS
mapfile -t queue < <(cut -f2 "$work/units")
n=0
while [ ${#queue[@]} -gt 0 ]; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
  # The first unit in the queue that may start now: an agent unit only while no other runs.
  busy=$(compgen -G "$work/*.agents" >/dev/null && echo 1 || echo 0)
  pick=-1
  for k in "${!queue[@]}"; do
    if [ "$busy" = 0 ] || ! is_agent_unit "${queue[$k]}"; then pick=$k; break; fi
  done
  if [ "$pick" = -1 ]; then wait -n; continue; fi
  spec=${queue[$pick]}
  unset 'queue[pick]'; queue=("${queue[@]}")
  echo "$spec" >"$work/$n.spec"
  if is_agent_unit "$spec"; then touch "$work/$n.agents"; fi
  run_unit "$n" "$spec" &
  n=$((n + 1))
done
wait

# Every listed test must have reported (a unit's process may have crashed or never started); a
# unit's xctest must have exited 0 unless one of its tests failed.
passed=0 failed=0 skipped=0
for ((i = 0; i < n; i++)); do
  rc=$(cat "$work/$i.rc" 2>/dev/null || echo none)
  f=$(grep -cE "^Test Case '[^']+' failed \(" "$work/$i.log")
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then echo "error: xctest $(cat "$work/$i.spec") exited $rc with no test failed"; failed=$((failed + 1)); fi
done
cat "$work"/*.log | grep -E "^Test Case '[^']+' (passed|failed|skipped) \(" >"$work/results"
passed=$(grep -c "' passed (" "$work/results"); skipped=$(grep -c "' skipped (" "$work/results")
failed=$((failed + $(grep -c "' failed (" "$work/results")))
sed -E "s|^[^.]+\.([^/]+)/(.*)$|Test Case '\1.\2' |" "$work/tests" | sort -u >"$work/expected"
sed -E "s/^(Test Case '[^']+' ).*/\1/" "$work/results" | sort -u >"$work/reported"
while read -r t; do
  echo "error: ${t#Test Case } never reported a result (its xctest process ended early)"; failed=$((failed + 1))
done < <(comm -23 "$work/expected" "$work/reported")

# The seconds each test took, for the next run's order (a test that did not report keeps its old figure).
sed -nE "s/^Test Case '([^']+)' (passed|failed|skipped) \(([0-9.]+) seconds\)\.?$/\3 \1/p" "$work/results" >"$work/seconds"
awk '{ s[$2] = $1 } END { for (t in s) print s[t], t }' "$times" "$work/seconds" | sort -k2 >"$work/merged" \
  && mv "$work/merged" "$root/.build/test-seconds.txt" 2>/dev/null
echo "ran $n units of $(wc -l <"$work/tests") tests, $jobs at once, in $((SECONDS - start)) s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
