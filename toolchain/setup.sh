#!/usr/bin/env bash
# Installs the Debian 12 packages Perch's build and tests need (`make setup`), then
# downloads the emulated boards' kernel packages (boards/qemu-virt-arm64/fetch.sh for each
# boards/qemu-virt-*/ with a vm.conf, into ~/.cache/perch). Idempotent: when everything is
# present it changes nothing and needs no network. Swift itself (6.3.1, at /opt/swift or
# on PATH) is a prerequisite, not installed here.
set -euo pipefail

# Cross toolchains and emulators for the ARM targets, the bare-metal compiler and newlib
# (libgcc and libm for Cortex-M), wasm tools for examples and tests, device libraries for
# every architecture.
PACKAGES=(
    make python3 crossbuild-essential-arm64 crossbuild-essential-armhf
    qemu-user qemu-system-arm gcc-arm-none-eabi binutils-arm-none-eabi libnewlib-arm-none-eabi
    wabt hyperfine socat wasi-libc libclang-rt-dev-wasm32 cpio
    libgpiod-dev libgpiod-dev:arm64 libgpiod-dev:armhf
    libsodium-dev libsodium-dev:arm64 libsodium-dev:armhf
)
FOREIGN_ARCHITECTURES=(arm64 armhf)

SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi

NATIVE_ARCH=$(dpkg --print-architecture)

# True if `name` or `name:arch` is installed; an unqualified name means the native
# architecture (or an architecture-independent package), as apt-get reads it.
installed() {
    local name=${1%%:*} arch=${NATIVE_ARCH}
    [[ $1 == *:* ]] && arch=${1#*:}
    dpkg-query -W -f='${db:Status-Status} ${Architecture}\n' "$name" 2>/dev/null |
        grep -qE "^installed ($arch|all)$"
}

missing=()
for package in "${PACKAGES[@]}"; do
    installed "$package" || missing+=("$package")
done

need_update=0
for arch in "${FOREIGN_ARCHITECTURES[@]}"; do
    if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
        echo "setup: enabling the $arch architecture"
        "${SUDO[@]}" dpkg --add-architecture "$arch"
        need_update=1
    fi
done

fetch_emulated_board() {
    local start=$SECONDS fetch conf
    fetch="$(dirname "$0")/../boards/qemu-virt-arm64/fetch.sh"
    for conf in "$(dirname "$0")"/../boards/qemu-virt-*/vm.conf; do
        conf=${conf%/vm.conf}
        export PERCH_VM_BOARD=${conf##*/}
        # Stale package lists name a kernel the archive no longer has: refresh them once.
        "$fetch" || { "${SUDO[@]}" apt-get update -q && "$fetch"; }
    done
    echo "setup: emulated boards' packages ready ($((SECONDS - start)) s)"
}

if [ ${#missing[@]} -eq 0 ] && [ $need_update -eq 0 ]; then
    echo "setup: all ${#PACKAGES[@]} packages already installed"
    fetch_emulated_board
    exit 0
fi

# apt-get update fails transiently while a mirror syncs: retry with a pause. If one index
# stays broken, go on: the install below fails clearly if what it needs is not indexed.
for attempt in 1 2 3 4 5; do
    if "${SUDO[@]}" apt-get update -q; then break; fi
    if [ $attempt -eq 5 ]; then
        echo "setup: apt-get update still failing after 5 attempts; trying the install anyway" >&2
        break
    fi
    echo "setup: apt-get update failed (attempt $attempt), retrying in $((attempt * 10)) s" >&2
    sleep $((attempt * 10))
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
fetch_emulated_board
echo "setup: done"
