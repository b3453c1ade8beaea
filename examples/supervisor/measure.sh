#!/usr/bin/env bash
# Swap latency and memory of `perch serve` on this machine (docs/supervisor.md, Measured):
# serve on the simulated board; blink v1/v2 swapped back and forth SWAPS times over
# loopback TCP, then bench's bigmodule.wasm 3 times (it exits, so each of its swaps is
# rolled back: its latency is still measured to its first slice). Swap latency = last byte
# of the commit request -> new module's first slice, as serve logs it. RSS = VmRSS.
#   PERCH=.build/release/perch examples/supervisor/measure.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
perch=${PERCH:-$root/.build/release/perch}
shared=${PERCH_SHARED:-$root/../shared}
swaps=${SWAPS:-10}
work=$(mktemp -d)
serve=
trap '[ -z "$serve" ] || kill "$serve" 2>/dev/null; rm -rf "$work"' EXIT

for v in 1 2; do wat2wasm "$here/blink-v$v.wat" -o "$work/blink-v$v.wasm"; done
"$perch" keygen "$work/k" > /dev/null
"$perch" serve --board sim --store "$work/store" --listen 127.0.0.1:0 --trust "$work/k.pub" \
    --health-slices 3 > "$work/serve.log" 2>&1 &
serve=$!
tries=0
until grep -q "^listening on" "$work/serve.log"; do
    tries=$((tries + 1))
    if [ $tries -gt 200 ] || ! kill -0 "$serve" 2>/dev/null; then
        echo "measure: perch serve did not start:" >&2
        cat "$work/serve.log" >&2
        exit 1
    fi
    sleep 0.05
done
port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$work/serve.log")
to="tcp://127.0.0.1:$port"
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$serve/status"; }
sleep 0.5
echo "perch serve VmRSS idle: $(rss) kB"
push() { "$perch" push --to "$to" --app "$1" --grant gpio:LED --key "$work/k" --version "$2" "${@:4}" "$3" > /dev/null 2>&1 || true; }
version=1
for _ in $(seq "$swaps"); do
    push blink $version "$work/blink-v$(( (version - 1) % 2 + 1 )).wasm"
    version=$((version + 1))
done
sleep 0.5
echo "perch serve VmRSS with blink running (1 MiB arena): $(rss) kB"
lat() { grep -E "^\[$1\] v[0-9]+ running; swap latency" "$work/serve.log" | sed -E 's/.*swap latency ([0-9]+) us/\1/' | sort -n | tr '\n' ' '; }
echo "blink ($(stat -c %s "$work/blink-v1.wasm") bytes) swap latency, us, sorted: $(lat blink)"
big=$shared/bench/wasm/bigmodule.wasm
for n in 1 2 3; do push big $n "$big" --arena 32M --chunk 4000; done
echo "bigmodule.wasm ($(stat -c %s "$big") bytes) swap latency, us, sorted: $(lat big)"
echo "perch serve VmRSS after bigmodule: $(rss) kB"
