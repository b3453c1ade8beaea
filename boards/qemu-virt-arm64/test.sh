#!/usr/bin/env bash
# `make test-emulated-arm64` / `test-emulated-armv7`: builds the board's image if needed
# (PERCH_VM_BOARD, default qemu-virt-arm64: vm-board.sh), boots it with the repository
# shared at /host, runs tests/examples.sh inside (the board's perch, vm.conf's VM_PERCH,
# with the modules from `make examples`), then the supervisor end to end in a second boot
# (tests/supervisor-e2e.sh), and sums their CHECK lines:
#   emulated <board> (boot B s, examples VM E s, tier W s): N passed, M failed
# The guest console is kept in out/test/<board>-console.log.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$HERE/vm-board.sh"
cd "$REPO"
for needed in "$VM_PERCH" out/examples/blink.wasm out/examples/i2c-probe.wasm; do
    [ -f "$needed" ] || { echo "test-emulated: $needed missing (make $VM_PERCH_TARGET examples)" >&2; exit 1; }
done
start=$(date +%s.%N)
since() { python3 -c "import time; print('%.1f' % (time.time() - $1))"; }
"$HERE/build.sh" || exit 1
mkdir -p out/test
console=out/test/$VM_BOARD-console.log
vm_start=$(date +%s.%N)
"$HERE/vm.sh" --share "$REPO" --run "/host/${HERE#"$REPO"/}/tests/examples.sh" \
    --console "$console" --quiet --timeout "${PERCH_VM_TIMEOUT:-300}"
status=$?
vm_wall=$(since "$vm_start")
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
echo "emulated $VM_BOARD (boot ${boot:-?} s, examples VM $vm_wall s, tier $(since "$start") s): $passed passed, $failed failed"
[ "$failed" -eq 0 ]
