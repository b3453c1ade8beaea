#!/usr/bin/env bash
# fetch.sh: download (apt-get download, Debian's archive only, packages by name) and unpack
# what the emulated board needs: Debian 12's arm64 kernel, the headers and kbuild of the
# SAME upload (so our out-of-tree modules match its vermagic), the few upstream driver
# sources Debian's arm64 kernel leaves out, and busybox-static for the guest userland.
# Idempotent: a populated cache is left alone. Needs `apt-get update` done and the arm64
# architecture enabled (`make setup` does both). About 650 MB of packages.
#   PERCH_VM_CACHE  where to keep it (default ~/.cache/perch/qemu-virt-arm64)
set -euo pipefail
CACHE=${PERCH_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/perch/qemu-virt-arm64}
if [ -f "$CACHE/env" ]; then echo "fetch: $CACHE already populated"; exit 0; fi
mkdir -p "$CACHE/debs"

# The kernel behind the meta package; headers, kbuild and source of the same version.
KPKG=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
       sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\).*/\1/p' | head -1)
[ -n "$KPKG" ] || { echo "fetch: cannot resolve linux-image-arm64:arm64 (run make setup: arm64 architecture + apt-get update)" >&2; exit 2; }
KVER=$(apt-cache show "$KPKG:arm64" | sed -n 's/^Version: //p' | head -1)
ABI=${KPKG#linux-image-}            # 6.1.0-50-arm64
SERIES=${ABI%%.0-*}                 # 6.1
echo "fetch: $KPKG $KVER into $CACHE"

cd "$CACHE/debs"
rm -f ./*.deb
apt-get download -q "$KPKG:arm64=$KVER" "linux-headers-$ABI:arm64=$KVER" \
    "linux-headers-${ABI%-arm64}-common=$KVER" "linux-kbuild-$SERIES:amd64=$KVER" \
    "linux-source-$SERIES=$KVER" busybox-static:arm64 2>&1 | grep -v 'unsandboxed' || true
for want in "${KPKG}_" "linux-headers-${ABI}_" "linux-headers-${ABI%-arm64}-common_" \
            "linux-kbuild-${SERIES}_" "linux-source-${SERIES}_" busybox-static_; do
    compgen -G "$want*.deb" >/dev/null || { echo "fetch: $want*.deb missing (stale apt lists? apt-get update)" >&2; exit 3; }
done

rm -rf "$CACHE/root" "$CACHE/src"; mkdir -p "$CACHE/root" "$CACHE/src"
for deb in linux-image-*.deb linux-headers-*.deb linux-kbuild-*.deb busybox-static_*.deb; do
    dpkg-deb -x "$deb" "$CACHE/root"
done
HDIR=$CACHE/root/usr/src/linux-headers-$ABI
# The headers' Makefile includes the -common tree by its installed absolute path.
sed -i "s#^include /usr/src/#include $CACHE/root/usr/src/#" "$HDIR/Makefile"
# Only the upstream files we build, streamed out of the 135 MB source tarball.
dpkg-deb --fsys-tarfile linux-source-"$SERIES"_*.deb | tar -xO "./usr/src/linux-source-$SERIES.tar.xz" |
    tar -xJ -C "$CACHE/src" --strip-components=1 \
        "linux-source-$SERIES/drivers/gpio/gpio-sim.c" "linux-source-$SERIES/drivers/gpio/gpiolib.h" \
        "linux-source-$SERIES/kernel/irq/irq_sim.c" "linux-source-$SERIES/drivers/i2c/i2c-stub.c"
# The source package is only needed for those files.
rm -f linux-source-*.deb

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
