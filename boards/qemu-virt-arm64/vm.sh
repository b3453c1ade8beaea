#!/usr/bin/env bash
# vm.sh: boots an emulated board (PERCH_VM_BOARD, default qemu-virt-arm64: Debian 12's
# kernel under QEMU -M virt, TCG, as its vm.conf says) with build.sh's initramfs, runs one
# script inside and exits with its status.
#
#   vm.sh [--share DIR] [--run GUEST_PATH] [--forward HOST:GUEST]... [--uart socket|pty]
#         [--info FILE] [--console FILE] [--quiet] [--timeout SECONDS] [--mem MIB]
#
#   --share DIR        host folder mounted read-only at /host in the guest (9p)
#   --run PATH         guest script run by init with sh, e.g. /host/test.sh (its exit
#                      status is vm.sh's); without it a shell runs on the console
#   --forward H:G      host 127.0.0.1:H -> guest TCP port G (repeatable; H = 0 picks a
#                      free port, reported in --info). The guest reaches nothing else.
#   --uart socket|pty  host end of the guest UART /dev/ttyS0 (16550 on PCI, 115200 8N1):
#                      a unix socket (default) or a host pty like a USB-serial cable
#   --info FILE        written once QEMU is running, KEY=VALUE lines:
#                        UART=<socket path or /dev/pts/N>  UART_KIND=socket|pty
#                        HVC=<unix socket of the virtio console /dev/hvc0>
#                        FORWARD_<guest port>=<host port>  CONSOLE=<console log>
#                        QEMU_PID=<pid>
#   --console FILE     keep the guest console there (default: a temporary file)
#   --quiet            do not echo the console
#   --timeout S        hard stop (default 300): QEMU is killed, exit status 124
#
# Exit status: the guest script's status; 124 timeout; 125 the guest never reported.
# Guest side: init.sh (devices ready, PERCH-VM: ready), board-devices.sh (gpio-sim and
# I2C device locations in PERCH_* variables; PERCH_VM_BOARD, the board's name). The guest
# is 10.0.2.15, its gateway 10.0.2.2.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$HERE/vm-board.sh"
share= run= uart=socket info= console= quiet=0 timeout=300 mem=512
forwards=()
while [ $# -gt 0 ]; do
    case $1 in
        --share) share=$(cd "$2" && pwd); shift 2 ;;
        --run) run=$2; shift 2 ;;
        --forward) forwards+=("$2"); shift 2 ;;
        --uart) uart=$2; shift 2 ;;
        --info) info=$2; shift 2 ;;
        --console) console=$2; shift 2 ;;
        --quiet) quiet=1; shift ;;
        --timeout) timeout=$2; shift 2 ;;
        --mem) mem=$2; shift 2 ;;
        *) echo "vm.sh: unknown option $1 (see the top of $0)" >&2; exit 2 ;;
    esac
done
[ -f "$OUT/initramfs.cpio.gz" ] || { echo "vm.sh: no image in $OUT: run $HERE/build.sh" >&2; exit 2; }
case $uart in socket|pty) ;; *) echo "vm.sh: --uart socket or pty" >&2; exit 2 ;; esac

work=$(mktemp -d /tmp/perch-vm.XXXXXX)
[ -n "$console" ] || console=$work/console.log
: > "$console"
qemu_pid= tail_pid=
cleanup() {
    [ -z "$qemu_pid" ] || kill "$qemu_pid" 2>/dev/null || true
    [ -z "$tail_pid" ] || kill "$tail_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
netdev="user,id=net0,restrict=on"
declare -A forwarded
for forward in "${forwards[@]}"; do
    host_port=${forward%%:*} guest_port=${forward#*:}
    [ "$host_port" != 0 ] || host_port=$(free_port)
    forwarded[$guest_port]=$host_port
    netdev+=",hostfwd=tcp:127.0.0.1:$host_port-:$guest_port"
done
if [ "$uart" = pty ]; then uart_chardev="pty,id=uart"
else uart_chardev="socket,id=uart,path=$work/uart.sock,server=on,wait=off"; fi

append="console=ttyAMA0 panic=-1 quiet loglevel=3 perch.board=$VM_BOARD"
[ -z "$run" ] || append+=" perch.run=$run"
read -ra qemu <<<"$VM_QEMU"
qemu+=(-m "$mem" -smp 1 -nodefaults -display none -no-reboot
      -kernel "$OUT/vmlinuz" -initrd "$OUT/initramfs.cpio.gz" -append "$append"
      -chardev "file,id=console,path=$console" -serial chardev:console
      -chardev "$uart_chardev" -device pci-serial,chardev=uart
      -device virtio-serial-pci -chardev "socket,id=hvc,path=$work/hvc.sock,server=on,wait=off"
      -device virtconsole,chardev=hvc
      -netdev "$netdev" -device virtio-net-pci,netdev=net0,romfile=)
[ -z "$share" ] || qemu+=(-fsdev "local,id=share,path=$share,security_model=none,readonly=on"
                          -device virtio-9p-pci,fsdev=share,mount_tag=host0)

timeout --kill-after=5 "$timeout" "${qemu[@]}" > "$work/qemu.out" 2>&1 &
qemu_pid=$!
[ $quiet = 1 ] || { tail -n +1 -f "$console" --pid=$qemu_pid & tail_pid=$!; }

if [ -n "$info" ]; then
    uart_at=$work/uart.sock
    if [ "$uart" = pty ]; then
        # QEMU names the pty on its stderr as soon as it has made it.
        for _ in $(seq 100); do
            uart_at=$(sed -n 's/.*char device redirected to \(\/dev\/pts\/[0-9]*\) (label uart).*/\1/p' "$work/qemu.out")
            [ -z "$uart_at" ] || break
            sleep 0.05
        done
    fi
    {
        echo "UART=$uart_at"
        echo "UART_KIND=$uart"
        echo "HVC=$work/hvc.sock"
        for guest_port in "${!forwarded[@]}"; do echo "FORWARD_$guest_port=${forwarded[$guest_port]}"; done
        echo "CONSOLE=$console"
        echo "QEMU_PID=$qemu_pid"
    } > "$info.tmp"
    mv "$info.tmp" "$info"
fi

set +e
wait "$qemu_pid"
qemu_status=$?
qemu_pid=
set -e
sleep 0.1
[ -z "$tail_pid" ] || { kill "$tail_pid" 2>/dev/null || true; tail_pid=; }
if [ "$qemu_status" = 124 ] || [ "$qemu_status" = 137 ]; then
    echo "vm.sh: timed out after $timeout s" >&2
    exit 124
fi
status=$(sed -n 's/^PERCH-VM-EXIT=\([0-9]*\).*/\1/p' "$console" | tail -n 1)
if [ -z "$status" ]; then
    echo "vm.sh: the guest did not report (QEMU status $qemu_status)" >&2
    sed 's/^/qemu: /' "$work/qemu.out" >&2
    exit 125
fi
exit "$status"
