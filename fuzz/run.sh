#!/usr/bin/env bash
# Builds every cargo-fuzz target and runs each one for a while, on the stable toolchain.
#
#   fuzz/run.sh                  # every target, 15 s each (CI runs 10 s each)
#   fuzz/run.sh 300              # every target, 5 minutes each
#   fuzz/run.sh 300 code_parse   # some targets
#   fuzz/run.sh --build-only     # just build them
#   FUZZ_ARGS="-fork=1 -ignore_crashes=1" fuzz/run.sh 300 code_parse   # extra libFuzzer flags
#
# cargo-fuzz passes nightly-only flags (-Zsanitizer=address, -Cpasses=sancov-module);
# RUSTC_BOOTSTRAP=1 lets the stable compiler accept them. It installs cargo-fuzz when it is
# missing. The committed seeds in fuzz/seeds/<target>/ are read, never written: inputs libFuzzer
# finds go to fuzz/corpus/<target>/ (cargo-fuzz's usual place, ignored by git), crashes to
# fuzz/artifacts/<target>/, logs to fuzz/target/logs/. Prints one summary line per target and exits non-zero if any failed.
set -euo pipefail

cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1

build_only=false
seconds=15
if [[ "${1:-}" == "--build-only" ]]; then
    build_only=true
    shift
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then
    seconds=$1
    shift
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

# Debug assertions on: integer overflow is a bug here, as in the crates' own tests.
cargo fuzz build --debug-assertions
$build_only && exit 0

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    mapfile -t targets < <(cargo fuzz list)
fi

mkdir -p target/logs
failed=()
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target" "artifacts/$target"
    log="target/logs/$target.log"
    status=ok
    # -timeout: one input taking 10 s is a hang worth reporting, not a slow machine.
    cargo fuzz run --debug-assertions "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1 ${FUZZ_ARGS:-} >"$log" 2>&1 || status=FAILED
    # "Done N runs" ends a plain run; fork mode only prints "#N" status lines.
    runs=$(grep -o 'Done [0-9]* runs' "$log" | grep -o '[0-9]*' || true)
    [[ -n "$runs" ]] || runs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#' || true)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || true)
    printf '%-18s %-6s %12s runs  %8s/s  cov %-6s %s\n' \
        "$target" "$status" "${runs:-?}" "${rate:-?}" "${cov:-?}" "$log"
    if [[ $status != ok ]]; then
        failed+=("$target")
        grep -E 'panicked|ERROR: libFuzzer|SUMMARY|Test unit written' "$log" | head -5 | sed 's/^/    /'
    fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
    echo "failed: ${failed[*]} (reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run <target> <artifact>)" >&2
    exit 1
fi
