#!/usr/bin/env bash
# Supervisor demo on the simulated board: starts `perch serve` with blink v1, pushes v2
# over loopback TCP (the LED starts blinking faster), shows status and the log, then a
# module that traps is refused while v2 keeps running. Stops by itself after ~10 s.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
perch=${PERCH:-$root/.build/debug/perch}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
port=${PORT:-7878}

for v in 1 2; do wat2wasm "$here/blink-v$v.wat" -o "$work/blink-v$v.wasm"; done
printf '(module (func (export "_start") unreachable))' > "$work/trap.wat"
wat2wasm "$work/trap.wat" -o "$work/trap.wasm"
"$perch" keygen "$work/deploy.key" > /dev/null

"$perch" serve --board "$root/boards/sim/board.txt" --store "$work/store" \
    --listen "127.0.0.1:$port" --trust "$work/deploy.key.pub" --health-slices 3 --exit-after 10 &
serve=$!
sleep 0.5
to="tcp://127.0.0.1:$port"
"$perch" push --to "$to" --app blink --grant gpio:LED --key "$work/deploy.key" --version 1 "$work/blink-v1.wasm"
sleep 2.5
"$perch" push --to "$to" --app blink --grant gpio:LED --key "$work/deploy.key" --version 2 "$work/blink-v2.wasm"
sleep 2
"$perch" push --to "$to" --app blink --grant gpio:LED --key "$work/deploy.key" --version 3 "$work/trap.wasm" || true
"$perch" status --to "$to"
wait "$serve"
