#!/usr/bin/env bash
# build.sh: an emulated board's boot files, from the fetched packages (fetch.sh, run on
# demand): out/<board>/{vmlinuz,initramfs.cpio.gz}, for PERCH_VM_BOARD (vm-board.sh).
#   1. gpio-sim, irq_sim, i2c-stub and perch-i2c-fake as out-of-tree modules for the
#      exact Debian kernel (its headers, same upload)
#   2. an initramfs: busybox, those modules and their dependencies, the board's glibc
#      loader and libraries plus libgpiod 1.6 (perch is a dynamic glibc binary that
#      dlopens libgpiod), and guest/ (init and the device setup).
# perch and the modules it runs come in at boot through a 9p share (vm.sh --share), so
# this image does not change when perch does. Rebuilds only when an input is newer.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$HERE/vm-board.sh"
[ -f "$CACHE/env" ] || "$HERE/fetch.sh"
# shellcheck disable=SC1091
. "$CACHE/env"

if [ -f "$OUT/initramfs.cpio.gz" ] && [ -z "$(find "$HERE" "$VM_BOARD_DIR" "$CACHE/env" -newer "$OUT/initramfs.cpio.gz" -type f -print -quit)" ]; then
    echo "build: $OUT is up to date"
    exit 0
fi
rm -rf "$OUT/kmod" "$OUT/rootfs"
mkdir -p "$OUT/kmod"

# 1. modules
cp "$HERE"/kmod/* "$OUT/kmod/"
ln -s "$SRC" "$OUT/kmod/upstream"
make -s -C "$HDIR" M="$OUT/kmod" ARCH="$VM_KERNEL_ARCH" CROSS_COMPILE="$VM_GNU_TRIPLE-" -j"$(nproc)" modules \
    > "$OUT/kmod/build.log" 2>&1 || { cat "$OUT/kmod/build.log"; echo "build: module build failed" >&2; exit 4; }

# 2. initramfs
R=$OUT/rootfs
mkdir -p "$R"/{bin,dev,proc,sys,tmp,host,etc,lib/modules,lib/"$VM_GNU_TRIPLE"}
cp "$BUSYBOX" "$R/bin/busybox"
cp "$HERE"/guest/* "$R/"
mv "$R/init.sh" "$R/init"
chmod +x "$R/init" "$R"/*.sh
MULTIARCH=/usr/lib/$VM_GNU_TRIPLE
CROSS_LIB=/usr/$VM_GNU_TRIPLE/lib
cp -L "$CROSS_LIB/$VM_LOADER" "$R/lib/"
for lib in libc.so.6 libm.so.6; do cp -L "$CROSS_LIB/$lib" "$R/lib/$VM_GNU_TRIPLE/"; done
for lib in libgpiod.so.2 libsodium.so.23; do
    [ -e "$MULTIARCH/$lib" ] || { echo "build: $MULTIARCH/$lib missing (make setup installs libgpiod-dev:$VM_DEB_ARCH, libsodium-dev:$VM_DEB_ARCH)" >&2; exit 5; }
    cp -L "$MULTIARCH/$lib" "$R/lib/$VM_GNU_TRIPLE/"
done

# The wanted modules with their dependencies (modinfo's depends=), in load order.
declare -A seen
order=()
find_module() { # name -> path: ours first, then Debian's tree ('-' and '_' are the same)
    local pattern=${1//[-_]/[-_]}
    find "$OUT/kmod" "$MODDIR/kernel" -name "$pattern.ko" -print -quit
}
add_module() {
    local name=$1 path dependency
    [ -z "${seen[$name]:-}" ] || return 0
    seen[$name]=1
    path=$(find_module "$name")
    [ -n "$path" ] || { echo "build: module $name not found" >&2; exit 3; }
    for dependency in $(strings "$path" | sed -n 's/^depends=//p' | head -1 | tr , ' '); do
        add_module "$dependency"
    done
    cp "$path" "$R/lib/modules/"
    order+=("$(basename "$path" .ko)")
}
for module in configfs gpio-sim i2c-dev i2c-stub perch-i2c-fake virtio_pci virtio_net virtio_console 9pnet_virtio 9p; do
    add_module "$module"
done
for module in "${order[@]}"; do
    case $module in
        i2c-stub) echo "$module chip_addr=0x76" ;;
        perch-i2c-fake) echo "$module byte_chips=0x76 word_chips=0x48" ;;
        *) echo "$module" ;;
    esac
done > "$R/lib/modules/load.list"

cp "$VMLINUZ" "$OUT/vmlinuz"
# Written under another name first: the up-to-date check above trusts the final name.
(cd "$R" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 > "$OUT/initramfs.tmp"
mv "$OUT/initramfs.tmp" "$OUT/initramfs.cpio.gz"
echo "build: $OUT/initramfs.cpio.gz ($(stat -c %s "$OUT/initramfs.cpio.gz") bytes), kernel $ABI; modules: $(tr '\n' ' ' < "$R/lib/modules/load.list")"
