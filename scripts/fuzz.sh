#!/usr/bin/env bash
# Runs the libFuzzer targets of a `make fuzz` build (clang, ASan + UBSan) on their committed
# seed corpus (tests/fuzz/corpus/<name>/). New interesting inputs go to a scratch corpus
# (OUT/corpus/<name>/), never into the tree; a crash, leak, timeout or sanitizer report
# leaves its input in OUT/crashes/ and fails the run. Each target runs until SECONDS or
# RUNS executions, whichever comes first; a table of the figures ends the output.
#
#   scripts/fuzz.sh [-t SECONDS] [-r RUNS] [-l MAX_LEN] [-b BUILD_DIR] [-o OUT_DIR] [-m] [target ...]
#
#   -t SECONDS   time per target (default 60)
#   -r RUNS      stop a target after this many executions (default: no limit)
#   -l MAX_LEN   longest input libFuzzer makes (default: its own, from the corpus); campaigns of
#                the slow targets cap it so 10 M executions fit in a session
#   -b DIR       the libFuzzer build (default build-fuzz)
#   -o DIR       scratch output (default BUILD_DIR/fuzz-out)
#   -m           afterwards merge the scratch corpus into the committed one (-merge=1 keeps
#                only inputs that add coverage); review and commit what it adds
#   target       names like rtp_parse_fuzz (default: every tests/fuzz/*_fuzz.cpp)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60 runs=-1 maxlen=0 build=build-fuzz out="" merge=0
while getopts "t:r:l:b:o:m" opt; do
  case $opt in
    t) seconds=$OPTARG ;;
    r) runs=$OPTARG ;;
    l) maxlen=$OPTARG ;;
    b) build=$OPTARG ;;
    o) out=$OPTARG ;;
    m) merge=1 ;;
    *) sed -n '2,18p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
out=${out:-$build/fuzz-out}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/*_fuzz.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi
mkdir -p "$out/crashes" "$out/logs"

# Every finding is fatal; leaks are checked after each input (libFuzzer's -detect_leaks).
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
rows=()
for t in "${targets[@]}"; do
  bin=$build/tests/$t
  if [ ! -x "$bin" ]; then
    echo "fuzz: $bin missing (make fuzz builds it)" >&2
    failed+=("$t (not built)")
    continue
  fi
  mkdir -p "$out/corpus/$t"
  log=$out/logs/$t.log
  echo "fuzz: $t for ${seconds} s$([ "$runs" -ge 0 ] && echo " or $runs runs") -> $log"
  status=0
  "$bin" "$out/corpus/$t" "tests/fuzz/corpus/$t" -max_total_time="$seconds" -runs="$runs" \
    -max_len="$maxlen" -timeout=25 -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix="$out/crashes/$t-" \
    >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+.*(cov|ft):' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$last")
  rows+=("$(printf '| %s | %s | %s | %s | %s | %s | %s |' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
    "${ft:-?}" "${corp:-?}" "$([ $status -eq 0 ] && echo ok || echo "FAILED ($status)")")")
  if [ $status -ne 0 ]; then
    failed+=("$t")
    echo "fuzz: $t FAILED (exit $status); the input is in $out/crashes/, the report:" >&2
    grep -E -A 30 'ERROR: (Address|Leak|libFuzzer)|runtime error:|==ERROR|SUMMARY' "$log" | head -60 >&2 || tail -40 "$log" >&2
  fi
  if [ $merge -eq 1 ] && [ $status -eq 0 ]; then
    before=$(ls "tests/fuzz/corpus/$t" | wc -l)
    "$bin" -merge=1 "tests/fuzz/corpus/$t" "$out/corpus/$t" >"$out/logs/$t.merge.log" 2>&1
    echo "fuzz: $t merge: $before -> $(ls "tests/fuzz/corpus/$t" | wc -l) committed inputs"
  fi
done

echo
echo "| target | executions | exec/s | coverage (edges) | features | corpus (inputs/size) | result |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
