# Guest side of the supervisor's end-to-end test (host side: supervisor-e2e.sh, which
# boots the board with this script as perch.run). The board's `perch serve` (vm.conf's
# VM_PERCH) runs on its Linux GPIO (gpio-sim) with its link on the UART /dev/ttyS0 and on TCP
# port 7000 (forwarded to the host). The host pushes modules; for each step it creates
# $E2E/measure-N in the share and this script answers on the console with
#   E2E-LED N transitions=T rss_kb=R
# (LED level changes seen in gpio-sim's sysfs over 3 s; perch serve's VmRSS). For
# $E2E/press it presses the button twice (gpio-sim pull-up/down) and answers
#   E2E-BUTTON held=yes|no on=LED-after-press-1 off=LED-after-press-2 idle_ticks_1s=T
# (T: serve's CPU clock ticks in the next second, while the app waits for a press)
# When the host creates $E2E/done, serve is stopped and its log is copied to the console
# (E2E-SERVE: lines). Exit status: 0, or 1 if serve did not start.
REPO=/host
BOARD=$REPO/boards/$PERCH_VM_BOARD
. $BOARD/vm.conf
PERCH=$REPO/$VM_PERCH
E2E=$REPO/out/test/$PERCH_VM_BOARD-supervisor-e2e
LED=$PERCH_GPIO_SIM/sim_gpio0
BUTTON=$PERCH_GPIO_SIM/sim_gpio1
. "$(dirname "$0")/gpio-lines.sh"

# Centiseconds since boot.
now_cs() { local up; read -r up _ < /proc/uptime; echo "${up%.*}${up#*.}"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
echo pull-down > $BUTTON/pull

$PERCH serve --store /tmp/store --board $BOARD --listen 0.0.0.0:7000 --serial /dev/ttyS0@115200 \
    --trust $E2E/deploy.key.pub --health-slices 5 > /tmp/serve.log 2>&1 &
serve=$!
tries=0
until grep -q "^listening on" /tmp/serve.log; do
    tries=$((tries + 1))
    if [ $tries -gt 300 ] || ! kill -0 $serve 2>/dev/null; then
        echo "E2E-FAIL perch serve did not start"
        sed 's/^/E2E-SERVE: /' /tmp/serve.log
        exit 1
    fi
    sleep 0.1
done
sleep 1
echo "E2E serve listening, idle rss_kb=$(rss_kb $serve)"

step=1
deadline=$(( $(now_cs) + 30000 ))
while [ ! -e $E2E/done ] && [ "$(now_cs)" -lt $deadline ]; do
    if [ -e $E2E/measure-$step ]; then
        changes=0
        read -r last < $LED/value
        end=$(( $(now_cs) + 300 ))
        while [ "$(now_cs)" -lt $end ]; do
            read -r level < $LED/value
            [ "$level" = "$last" ] || { changes=$((changes + 1)); last=$level; }
            sleep 0.02
        done
        echo "E2E-LED $step transitions=$changes rss_kb=$(rss_kb $serve)"
        step=$((step + 1))
    fi
    if [ -e $E2E/press ] && [ -z "${pressed:-}" ]; then
        pressed=1
        wait_held BUTTON && wait_watched $BUTTON && held=yes || held=no
        # Up to 1.5 s for the LED to answer each press: half the button's 3 s wait, so
        # an edge seen only when that wait ends still fails.
        echo pull-up > $BUTTON/pull
        wait_level $LED 1 15
        on=$(level $LED)
        echo pull-down > $BUTTON/pull
        sleep 0.3
        echo pull-up > $BUTTON/pull
        wait_level $LED 0 15
        off=$(level $LED)
        echo pull-down > $BUTTON/pull
        # CPU serve spends while the app waits for the next press (a measurement).
        read -r _ _ _ _ _ _ _ _ _ _ _ _ _ utime stime _ < /proc/$serve/stat
        sleep 1
        read -r _ _ _ _ _ _ _ _ _ _ _ _ _ utime2 stime2 _ < /proc/$serve/stat
        echo "E2E-BUTTON held=$held on=$on off=$off idle_ticks_1s=$((utime2 + stime2 - utime - stime))"
    fi
    sleep 0.1
done
kill $serve
wait $serve
sed 's/^/E2E-SERVE: /' /tmp/serve.log
exit 0
