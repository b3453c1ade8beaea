#!/usr/bin/env bash
# fetch.sh: download (apt-get download, Debian's archive only, packages by name) and unpack
# what an emulated board needs: Debian 12's kernel for its architecture (vm.conf), the
# headers and kbuild of the SAME upload (so our out-of-tree modules match its vermagic),
# the few upstream driver sources Debian's kernels leave out, and busybox-static for the
# guest userland. Idempotent: a populated cache is left alone. Needs `apt-get update` done
# and the board's architecture enabled (`make setup` does both). About 650 MB of packages;
# the driver sources come from another board's cache when its kernel is the same upload.
#   PERCH_VM_BOARD  the board (default qemu-virt-arm64; vm-board.sh)
#   PERCH_VM_CACHE  where boards keep their downloads (default ~/.cache/perch/<board>)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$HERE/vm-board.sh"
if [ -f "$CACHE/env" ]; then echo "fetch: $CACHE already populated"; exit 0; fi
mkdir -p "$CACHE/debs"

# The kernel behind the meta package; headers, kbuild and source of the same version.
ARCH=$VM_DEB_ARCH
KPKG=$(apt-cache depends "linux-image-$VM_KERNEL_FLAVOUR:$ARCH" 2>/dev/null |
       sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\).*/\1/p' | head -1)
[ -n "$KPKG" ] || { echo "fetch: cannot resolve linux-image-$VM_KERNEL_FLAVOUR:$ARCH (run make setup: $ARCH architecture + apt-get update)" >&2; exit 2; }
KVER=$(apt-cache show "$KPKG:$ARCH" | sed -n 's/^Version: //p' | head -1)
ABI=${KPKG#linux-image-}            # 6.1.0-50-arm64
COMMON=${ABI%-"$VM_KERNEL_FLAVOUR"}  # 6.1.0-50: the -common headers
SERIES=${ABI%%.0-*}                 # 6.1
echo "fetch: $KPKG $KVER into $CACHE"

# The upstream files we build: another board's, when its kernel is this same upload.
UPSTREAM_FILES=(drivers/gpio/gpio-sim.c drivers/gpio/gpiolib.h kernel/irq/irq_sim.c drivers/i2c/i2c-stub.c)
source_from=
for other in "${CACHE%/*}"/*/env; do
    [ "$other" != "$CACHE/env" ] && grep -qsx "KVER=$KVER" "$other" || continue
    other_src=$(sed -n 's/^SRC=//p' "$other")
    for file in "${UPSTREAM_FILES[@]}"; do [ -f "$other_src/$file" ] || continue 2; done
    source_from=$other_src
    break
done
debs=("$KPKG:$ARCH=$KVER" "linux-headers-$ABI:$ARCH=$KVER" "linux-headers-$COMMON-common=$KVER"
      "linux-kbuild-$SERIES:amd64=$KVER" "busybox-static:$ARCH")
[ -n "$source_from" ] || debs+=("linux-source-$SERIES=$KVER")

cd "$CACHE/debs"
rm -f ./*.deb
apt-get download -q "${debs[@]}" 2>&1 | grep -v 'unsandboxed' || true
for deb in "${debs[@]}"; do
    deb=${deb%%=*}
    compgen -G "${deb%%:*}_*.deb" >/dev/null || { echo "fetch: ${deb%%:*}_*.deb missing (stale apt lists? apt-get update)" >&2; exit 3; }
done

rm -rf "$CACHE/root" "$CACHE/src"; mkdir -p "$CACHE/root" "$CACHE/src"
for deb in linux-image-*.deb linux-headers-*.deb linux-kbuild-*.deb busybox-static_*.deb; do
    dpkg-deb -x "$deb" "$CACHE/root"
done
HDIR=$CACHE/root/usr/src/linux-headers-$ABI
# The headers' Makefile includes the -common tree by its installed absolute path.
sed -i "s#^include /usr/src/#include $CACHE/root/usr/src/#" "$HDIR/Makefile"
if [ -n "$source_from" ]; then
    echo "fetch: upstream driver sources from $source_from (same kernel upload)"
    (cd "$source_from" && cp --parents "${UPSTREAM_FILES[@]}" "$CACHE/src/")
else
    # Only the files we build, streamed out of the 135 MB source tarball.
    dpkg-deb --fsys-tarfile linux-source-"$SERIES"_*.deb | tar -xO "./usr/src/linux-source-$SERIES.tar.xz" |
        tar -xJ -C "$CACHE/src" --strip-components=1 "${UPSTREAM_FILES[@]/#/linux-source-$SERIES/}"
    # The source package is only needed for those files.
    rm -f linux-source-*.deb
fi

cat > "$CACHE/env" <<ENV
ABI=$ABI
KVER=$KVER
HDIR=$HDIR
MODDIR=$CACHE/root/lib/modules/$ABI
VMLINUZ=$CACHE/root/boot/vmlinuz-$ABI
BUSYBOX=$CACHE/root/bin/busybox
SRC=$CACHE/src
ENV
echo "fetch: done ($(du -sh "$CACHE" | cut -f1))"
