#!/usr/bin/env bash
# Runs the TOTP benchmark groups (totp_verify, totp_verify_stored, totp_window) briefly
# and prints their medians with ratios against totp-rs, marking issue 18's targets.
#
#   benches/report.sh                 # run, then report (about three minutes)
#   benches/report.sh --no-run        # report on the last run in target/criterion
#   WARM_UP=1 MEASURE=3 benches/report.sh
#
# Reads target/criterion/**/new/benchmark.json (the id) and estimates.json (the median),
# so it reports the ids exactly as the benchmarks name them. Needs python3. Set
# CRITERION_HOME to keep the results apart from other runs in a shared target folder.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
results="${CRITERION_HOME:-$target/criterion}"

if [[ "${1:-}" != "--no-run" ]]; then
    cargo bench -p tessera-benches --bench totp -- \
        --warm-up-time "${WARM_UP:-1}" --measurement-time "${MEASURE:-3}" \
        '^totp_(verify|verify_stored|window)/' >&2
fi

python3 - "$results" <<'PY'
import json, pathlib, sys

root = pathlib.Path(sys.argv[1])
medians = {}
for bench in root.glob("**/new/benchmark.json"):
    full_id = json.loads(bench.read_text())["full_id"]
    estimates = json.loads((bench.parent / "estimates.json").read_text())
    medians[full_id] = estimates["median"]["point_estimate"]

# Issue 18's targets: tessera's SHA-1 median at most this fraction of totp-rs's, and
# SHA-256 and SHA-512 at least as good relative to totp-rs as SHA-1 (same outcome).
targets = {"totp_verify/tessera/sha1/miss": 0.60, "totp_verify/tessera/sha1/match": 0.30}

def ratio_of(ours):
    peer = ours.replace("/tessera/", "/totp-rs/", 1)
    return medians[ours] / medians[peer] if ours in medians and peer in medians else None

for outcome in ("miss", "match"):
    sha1 = ratio_of(f"totp_verify/tessera/sha1/{outcome}")
    if sha1 is not None:
        for alg in ("sha256", "sha512"):
            targets[f"totp_verify/tessera/{alg}/{outcome}"] = (sha1, "sha1")

def fmt(ns):
    return f"{ns / 1000:.2f} µs" if ns >= 10_000 else f"{ns:.1f} ns"

rows, failed = [], False
for group in ("totp_verify", "totp_verify_stored", "totp_window"):
    natural = lambda k: [int(p) if p.isdigit() else p for p in k.split("/")]
    ids = sorted((k for k in medians if k.startswith(group + "/tessera/")), key=natural)
    for ours in ids:
        peer = ours.replace("/tessera/", "/totp-rs/", 1)
        ratio = ratio_of(ours)
        verdict = ""
        if ours in targets and ratio is not None:
            bound, label = targets[ours] if isinstance(targets[ours], tuple) else (targets[ours], "")
            ok = ratio <= bound
            failed |= not ok
            verdict = f"{'pass' if ok else 'FAIL'} (≤ {bound:.2f}{' = ' + label if label else ''})"
        rows.append((ours, fmt(medians[ours]), fmt(medians[peer]) if peer in medians else "-",
                     f"{ratio:.2f}×" if ratio is not None else "-", verdict))

if not rows:
    sys.exit(f"no TOTP results under {root}; run without --no-run first")
head = ("benchmark (tessera)", "tessera median", "totp-rs median", "ratio", "target")
widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"
print(line(head))
print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
for r in rows:
    print(line(r))
missing = [t for t in targets if t not in medians]
if missing:
    sys.exit(f"missing results: {', '.join(missing)}")
sys.exit(1 if failed else 0)
PY
