#!/usr/bin/env bash
# `make test-emulated`: builds the emulated board's image if needed, boots it with the
# repository shared at /host, runs tests/examples.sh inside (the aarch64 perch from
# `make cross-aarch64` with the modules from `make examples`) and sums its CHECK lines:
#   emulated qemu-virt-arm64 (boot B s, wall W s): N passed, M failed
# The guest console is kept in out/test/emulated-console.log.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"
for needed in out/aarch64/perch out/examples/blink.wasm out/examples/i2c-probe.wasm; do
    [ -f "$needed" ] || { echo "test-emulated: $needed missing (make cross-aarch64 examples)" >&2; exit 1; }
done
"$HERE/build.sh" || exit 1
mkdir -p out/test
console=out/test/emulated-console.log
start=$(date +%s.%N)
"$HERE/vm.sh" --share "$REPO" --run /host/boards/qemu-virt-arm64/tests/examples.sh \
    --console "$console" --quiet --timeout "${PERCH_VM_TIMEOUT:-300}"
status=$?
wall=$(python3 -c "import time; print('%.1f' % (time.time() - $start))")
grep -E '^(CHECK|PERCH-VM)' "$console"
passed=$(grep -c '^CHECK pass ' "$console")
failed=$(grep -c '^CHECK FAIL ' "$console")
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    echo "test-emulated: the guest ended with status $status (124: timeout, 125: no report); console: $console"
    tail -n 20 "$console"
    failed=1
fi
# Issue #7's supervisor end to end (its own boot, tests/supervisor-e2e.sh): its CHECK
# lines count in this tier; no summary line from it is one failure.
supervisor=$("$HERE/tests/supervisor-e2e.sh" 2>&1)
grep -E '^(CHECK|E2E-MEASURED|emulated supervisor)' <<<"$supervisor"
passed=$((passed + $(grep -c '^CHECK pass ' <<<"$supervisor")))
failed=$((failed + $(grep -c '^CHECK FAIL ' <<<"$supervisor")))
grep -q '^emulated supervisor e2e: ' <<<"$supervisor" || { tail -n 5 <<<"$supervisor"; failed=$((failed + 1)); }
boot=$(sed -n 's/^PERCH-VM: ready at uptime \([0-9.]*\) s.*/\1/p' "$console")
echo "emulated qemu-virt-arm64 (boot ${boot:-?} s, wall $wall s): $passed passed, $failed failed"
[ "$failed" -eq 0 ]
