#!/bin/busybox sh
# PID 1 of the emulated board: mounts the usual file systems, loads the simulator modules,
# creates the board's devices (board-devices.sh), mounts the host share on /host, brings
# up the network, then runs the script named on the kernel command line
# (perch.run=/host/PATH; perch.board=NAME becomes PERCH_VM_BOARD) and powers off. Its exit status is printed as PERCH-VM-EXIT=N,
# which vm.sh returns. Without perch.run a shell runs on the console.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
while read -r module parameters; do
    insmod "/lib/modules/$module.ko" $parameters || echo "PERCH-VM: insmod $module failed"
done < /lib/modules/load.list
mount -t configfs configfs /sys/kernel/config
# The share (virtio device id 9) binds to its driver shortly after the module loads.
if grep -qsx 0x0009 /sys/bus/virtio/devices/*/device; then
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        mount -t 9p -o trans=virtio,version=9p2000.L,ro host0 /host 2>/dev/null && break
        sleep 0.2
    done
    grep -q " /host " /proc/mounts || echo "PERCH-VM: cannot mount the host share on /host"
fi
if [ -e /sys/class/net/eth0 ]; then
    ip link set lo up
    ip link set eth0 up
    ip addr add 10.0.2.15/24 dev eth0
    ip route add default via 10.0.2.2
fi
. /board-devices.sh
board_devices_up || echo "PERCH-VM: board devices incomplete"
run=
for argument in $(cat /proc/cmdline); do
    case $argument in
        perch.run=*) run=${argument#perch.run=} ;;
        perch.board=*) export PERCH_VM_BOARD=${argument#perch.board=} ;;
    esac
done
echo "PERCH-VM: ready at uptime $(cut -d' ' -f1 /proc/uptime) s, kernel $(uname -r)"
if [ -n "$run" ]; then
    sh "$run"
    echo "PERCH-VM-EXIT=$?"
else
    setsid cttyhack sh
fi
sync
poweroff -f
