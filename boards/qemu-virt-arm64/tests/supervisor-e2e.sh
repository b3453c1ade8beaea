#!/usr/bin/env bash
# Issue #7 end to end on an emulated board (PERCH_VM_BOARD, vm-board.sh): the board's
# `perch serve` (aarch64 or armv7, vm.conf's VM_PERCH) runs in the guest
# on the board's Linux GPIO (gpio-sim); the host `perch push`es blink v1 (LED toggles every
# 500 ms) then v2 (every 150 ms) over the guest's UART (a host pty), then the same pair
# again over TCP (QEMU user networking forwarded to loopback), and after each swap the
# guest reports how often the LED line changed in gpio-sim's sysfs (supervisor-guest.sh).
# Then bench's bigmodule.wasm over TCP for the swap latency, an app waiting for GPIO
# edges (examples/button, presses made in gpio-sim), and perch serve's RSS.
#
# Needs the board's perch (make cross-aarch64 / cross-armv7), the host perch ($PERCH_HOST, default
# .build/debug/perch), wat2wasm, the board image (build.sh). Prints `CHECK pass|FAIL`
# lines, `E2E-MEASURED` lines (emulated figures) and
#   emulated supervisor e2e: N passed, M failed
# Exit status: 0 when nothing failed. Console: out/test/<board>-supervisor-e2e-console.log.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SCRIPTS=$(cd "$HERE/.." && pwd)
REPO=$(cd "$SCRIPTS/../.." && pwd)
. "$SCRIPTS/vm-board.sh"
cd "$REPO"
PERCH_HOST=${PERCH_HOST:-$REPO/.build/debug/perch}
SHARED=${PERCH_SHARED:-$REPO/../shared}
# supervisor-guest.sh finds it by the same name.
E2E=out/test/$VM_BOARD-supervisor-e2e
console=$E2E-console.log
for needed in "$VM_PERCH" "$PERCH_HOST"; do
    [ -x "$needed" ] || { echo "supervisor-e2e: $needed missing (make $VM_PERCH_TARGET; swift build)" >&2; exit 1; }
done
"$SCRIPTS/build.sh" > /dev/null || exit 1

passed=0 failed=0
pass() { echo "CHECK pass $1"; passed=$((passed + 1)); }
fail() { echo "CHECK FAIL $1: $2"; failed=$((failed + 1)); }
finish() {
    echo "emulated supervisor e2e: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

rm -rf "$E2E"
mkdir -p "$E2E"
for v in 1 2; do wat2wasm "examples/supervisor/blink-v$v.wat" -o "$E2E/blink-v$v.wasm"; done
"$PERCH_HOST" keygen "$E2E/deploy.key" > /dev/null

info=$E2E/vm.info
"$SCRIPTS/vm.sh" --share "$REPO" --run "/host/${HERE#"$REPO"/}/supervisor-guest.sh" \
    --forward 0:7000 --uart pty --info "$info" --console "$console" --quiet --timeout 400 2> "$E2E/vm.log" &
vm=$!
# However this script ends, the board goes with it (vm.sh's own trap stops QEMU).
trap '[ -z "$vm" ] || kill "$vm" 2>/dev/null' EXIT
# wait_for PATTERN SECONDS: until the console has a line matching PATTERN.
wait_for() {
    local tries=0
    until grep -qE "$1" "$console" 2>/dev/null; do
        tries=$((tries + 1))
        if [ $tries -gt $(($2 * 10)) ] || ! kill -0 $vm 2>/dev/null; then return 1; fi
        sleep 0.1
    done
}
tries=0
until [ -f "$info" ] || [ $tries -gt 600 ] || ! kill -0 $vm 2>/dev/null; do tries=$((tries + 1)); sleep 0.1; done
# shellcheck disable=SC1090
. "$info" 2>/dev/null
if [ -z "${UART:-}" ] || ! wait_for "^E2E serve listening" 180; then
    fail "perch serve starts in the guest" "$(grep -E 'E2E|PERCH-VM' "$console" | tail -n 5 | tr '\n' '|')$(tail -n 5 "$E2E/vm.log" | tr '\n' '|')"
    finish
fi
pass "perch serve starts in the guest (board $VM_BOARD, UART and TCP links)"
serial="serial:$UART@115200"
tcp="tcp://127.0.0.1:$FORWARD_7000"

# push TARGET VERSION FILE [extra flags]: prints the push output; its status.
push() {
    local to=$1 version=$2 file=$3
    shift 3
    "$PERCH_HOST" push --to "$to" --app blink --grant gpio:LED --key "$E2E/deploy.key" --version "$version" "$@" "$file"
}
# measure N: LED transitions the guest saw in 3 s after step N (sets $transitions, $rss).
measure() {
    touch "$E2E/measure-$1"
    transitions= rss=
    wait_for "^E2E-LED $1 " 60 || return 1
    local line
    line=$(grep -E "^E2E-LED $1 " "$console" | tail -n 1)
    transitions=$(sed -E 's/.*transitions=([0-9]+).*/\1/' <<<"$line")
    rss=$(sed -E 's/.*rss_kb=([0-9]+).*/\1/' <<<"$line")
}

# step N LINK VERSION FILE SLOW|FAST: push, check the commit, check the LED's rate.
# 3 s sampled every ~20 ms: 500 ms toggles give about 6 changes, 150 ms about 20. A guest
# stalled by a loaded host sees fewer, so the bounds are wide but do not overlap: slow is
# 2-9, fast is 10 or more.
step() {
    local n=$1 link=$2 version=$3 file=$4 rate=$5 to
    [ "$link" = serial ] && to=$serial || to=$tcp
    local out
    out=$(push "$to" "$version" "$file" 2>&1)
    if grep -q "committed" <<<"$out"; then pass "v$version over $link committed"
    else fail "v$version over $link committed" "$(tr '\n' '|' <<<"$out")"; fi
    if ! measure "$n"; then fail "v$version: the guest measured the LED" "no E2E-LED $n line"; return; fi
    if [ "$rate" = slow ]; then
        if [ "$transitions" -ge 2 ] && [ "$transitions" -le 9 ]; then pass "v$version over $link: LED toggles every 500 ms in gpio-sim ($transitions changes in 3 s)"
        else fail "v$version over $link: LED toggles every 500 ms" "$transitions changes in 3 s"; fi
    else
        if [ "$transitions" -ge 10 ]; then pass "v$version over $link: LED toggles every 150 ms in gpio-sim ($transitions changes in 3 s)"
        else fail "v$version over $link: LED toggles every 150 ms" "$transitions changes in 3 s"; fi
    fi
}

step 1 serial 1 "$E2E/blink-v1.wasm" slow
rss_app=$rss
step 2 serial 2 "$E2E/blink-v2.wasm" fast
step 3 tcp 3 "$E2E/blink-v1.wasm" slow
step 4 tcp 4 "$E2E/blink-v2.wasm" fast
status=$("$PERCH_HOST" status --to "$tcp" --json 2>&1)
if grep -q '"app":"blink","state":"running","version":4,"previous":3' <<<"$status"; then pass "status over TCP: blink v4 running, v3 kept for rollback"
else fail "status over TCP: blink v4 running" "$status"; fi

# bigmodule.wasm prints and exits, so it fails its health window (a device app must keep
# running) and v4 comes back: what is measured is its swap latency.
big=$SHARED/bench/wasm/bigmodule.wasm
if [ -f "$big" ]; then
    out=$(push "$tcp" 5 "$big" --arena 32M --chunk 4000 2>&1)
    if grep -q "health window" <<<"$out"; then pass "bigmodule.wasm swapped in, exits, v4 restored"
    else fail "bigmodule.wasm swapped in, exits, v4 restored" "$(tr '\n' '|' <<<"$out")"; fi
    measure 5 || true
    if [ -n "$transitions" ] && [ "$transitions" -ge 10 ]; then pass "after bigmodule the LED blinks at v4's rate again ($transitions changes)"
    else fail "after bigmodule the LED blinks at v4's rate again" "${transitions:-no} changes"; fi
fi

# An app that waits for GPIO edges (examples/button: each press toggles the LED): under
# serve the edge must be seen at once, not when the wait's 3 s timeout ends.
button=out/examples/button.wasm
if [ -f "$button" ]; then
    out=$("$PERCH_HOST" stop --to "$tcp" blink 2>&1)
    grep -q "stopped blink" <<<"$out" || fail "blink stops and frees the LED" "$out"
    # The guest presses once perch holds the button, before the app's first 3 s wait
    # ends: a waiting app is committed only when its 2 s health window ends.
    touch "$E2E/press"
    out=$("$PERCH_HOST" push --to "$tcp" --app button --grant gpio:BUTTON --grant gpio:LED --key "$E2E/deploy.key" \
        --version 1 "$button" 2>&1)
    if grep -q "committed" <<<"$out"; then pass "button over tcp committed"
    else fail "button over tcp committed" "$(tr '\n' '|' <<<"$out")"; fi
    if wait_for "^E2E-BUTTON " 60; then
        line=$(grep -E "^E2E-BUTTON " "$console" | tail -n 1)
        if grep -q "held=yes on=1 off=0" <<<"$line"; then pass "button presses toggle the LED within 1.5 s under serve ($line)"
        else fail "button presses toggle the LED within 1.5 s under serve" "$line"; fi
    else
        fail "button presses toggle the LED within 1.5 s under serve" "no E2E-BUTTON line"
    fi
else
    fail "button example present" "$button missing (make examples)"
fi

touch "$E2E/done"
wait $vm
vm_status=$?
vm=
if [ $vm_status -eq 0 ]; then pass "the guest script ended cleanly"
else fail "the guest script ended cleanly" "vm.sh status $vm_status"; fi

idle=$(sed -nE 's/^E2E serve listening, idle rss_kb=([0-9]+).*/\1/p' "$console")
echo "E2E-MEASURED (emulated $VM_CPU, TCG) perch serve VmRSS: idle ${idle:-?} kB, with blink running ${rss_app:-?} kB"
grep -E "^E2E-SERVE: \[blink\] v[0-9]+ running; swap latency" "$console" |
    sed -E 's/^E2E-SERVE: \[blink\] (v[0-9]+) running; swap latency ([0-9]+) us/E2E-MEASURED (emulated) swap latency \1: \2 us/'
finish
