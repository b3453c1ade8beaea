#!/usr/bin/env bash
# Runs each test tier (a make target that ends by printing `<tier>: N passed, N failed`),
# keeps going when one fails, and sums them: `make test: N passed, N failed`.
# A tier without a count line (a build error, a timeout, a crash before its summary)
# counts as one failure, whatever its exit status.
# Exit status: 0 only if every tier passed.
set -uo pipefail
mkdir -p out/test
summary=()
total_passed=0
total_failed=0
for tier in "$@"; do
    echo "=== $tier"
    log=out/test/$tier.log
    make --no-print-directory "$tier" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    line=$(grep -E '^[^:]+: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    if [ -n "$line" ]; then
        passed=$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\1/' <<<"$line")
        failed=$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\2/' <<<"$line")
    else
        passed=0
        failed=1
        line="$tier: no result line"
    fi
    if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
        failed=1
        line="$line (make $tier exited with status $status)"
    fi
    summary+=("$line")
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
done
echo "==="
printf '%s\n' "${summary[@]}"
echo "make test: $total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
