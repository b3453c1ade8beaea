# The emulated-kernel tier, inside the guest (vm.sh --share <repo> --run /host/<this>):
# the board's perch (its vm.conf's VM_PERCH, aarch64 or armv7; init sets PERCH_VM_BOARD)
# runs the device examples through its Linux backend (libgpiod on gpio-sim, /dev/i2c-N on
# perch-i2c-fake and i2c-stub) while this script plays the outside world: it watches and
# drives the gpio-sim lines through sysfs and loads the fake chips' registers over the bus.
# Each example must print what it prints on the simulated board
# (examples/NAME/expected-output.txt, timestamps aside: this clock is real).
# One line per check: `CHECK pass NAME` or `CHECK FAIL NAME: why`; exit status = failures.
REPO=/host
TESTS=$(dirname "$0")
BOARD=$REPO/boards/$PERCH_VM_BOARD
. $BOARD/vm.conf
PERCH=$REPO/$VM_PERCH
MODULES=$REPO/out/examples
CHIPS=$TESTS/fake-chips.txt
LED=$PERCH_GPIO_SIM/sim_gpio0
BUTTON=$PERCH_GPIO_SIM/sim_gpio1
T=/tmp/perch-tests
mkdir -p $T
failures=0

pass() { echo "CHECK pass $1"; }
fail() { echo "CHECK FAIL $1: $2"; failures=$((failures + 1)); }
# check NAME COMMAND...: passes when the command succeeds.
check() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name" "$*"; fi
}
. $TESTS/gpio-lines.sh
# The output without the leading "N ms: " (simulated time there, real time here).
untimed() { sed -E 's/^[0-9]+ ms: //' "$1"; }
# same_output NAME FILE [EXAMPLE]: FILE (NAME's output) is what EXAMPLE (default NAME)
# prints on the simulated board.
same_output() {
    untimed "$REPO/examples/${3:-$1}/expected-output.txt" > $T/expected
    untimed "$2" > $T/actual
    if diff $T/expected $T/actual > $T/diff; then pass "$1 output matches the simulated board's"
    else fail "$1 output matches the simulated board's" "$(tr '\n' '|' < $T/diff)"; fi
}
# load STATE [stub]: replays fake-chips.txt's register writes of STATE on the fake adapter
# (plain I2C writes), or on i2c-stub (SMBus I2C-block writes).
load() {
    grep "^$1 " $CHIPS | while read -r state address register bytes; do
        if [ "$2" = stub ]; then
            i2cset -y "${PERCH_I2C_STUB#/dev/i2c-}" $address $register $bytes i
        else
            i2ctransfer -y "${PERCH_I2C_FAKE#/dev/i2c-}" "w$(( $(echo $bytes | wc -w) + 1 ))@$address" $register $bytes
        fi || echo "load $1: writing $address $register failed"
    done
}
# CPU time of a process in clock ticks (utime + stime).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# A plain command, not a function: `$RUN ... &` must leave perch's own pid in $!.
RUN="$PERCH run --board $BOARD"

check "perch runs on the emulated kernel" "$PERCH" --version

# --- blink: the LED line, watched from outside ------------------------------------------
$RUN --grant gpio:LED $MODULES/blink.wasm 3 > $T/blink.out 2>&1 &
pid=$!
changes=0
last=$(level $LED)
while kill -0 $pid 2>/dev/null; do
    now=$(level $LED)
    [ "$now" = "$last" ] || { changes=$((changes + 1)); last=$now; }
    sleep 0.02
done
wait $pid
check "blink exits 0" [ $? -eq 0 ]
same_output blink $T/blink.out
# 6 transitions 500 ms apart, sampled every 20 ms: a guest stalled by a loaded host may
# miss one, so at least 4 must be seen.
check "the LED line toggled, seen by gpio-sim ($changes of 6 transitions)" [ $changes -ge 4 ]
check "blink released the LED line" sh -c "! grep -qE '\(LED +\|perch' /sys/kernel/debug/gpio"

# --- button: edges made outside, the LED answering ---------------------------------------
echo pull-down > $BUTTON/pull
$RUN --grant gpio:LED --grant gpio:BUTTON $MODULES/button.wasm > $T/button.out 2>&1 &
pid=$!
check "button holds BUTTON" wait_held BUTTON
check "button watches BUTTON's edges" wait_watched $BUTTON
echo pull-up > $BUTTON/pull
check "first press turned the LED on" wait_level $LED 1
echo pull-down > $BUTTON/pull
# Released for a moment between the presses, like a finger.
sleep 0.4
echo pull-up > $BUTTON/pull
check "second press turned the LED off" wait_level $LED 0
echo pull-down > $BUTTON/pull
# The module now waits up to 3 s for an edge that does not come; the wait must cost
# (next to) nothing while idle.
before=$(cpu_ticks $pid)
sleep 2
after=$(cpu_ticks $pid)
check "an idle edge wait used $((after - before)) ticks of CPU in 2 s (at most 5)" [ $((after - before)) -le 5 ]
wait $pid
check "button exits 0" [ $? -eq 0 ]
same_output button $T/button.out

# --- swift-blink: the Embedded Swift SDK's module blinks the same way -------------------
$RUN --grant gpio:LED $MODULES/swift-blink.wasm > $T/swift-blink.out 2>&1
check "swift-blink exits 0" [ $? -eq 0 ]
same_output swift-blink $T/swift-blink.out blink

# --- weather: the BME280 read over /dev/i2c-N --------------------------------------------
# weather NAME BOARD [stub]: runs weather on BOARD with its chip loaded, colder after the
# second reading (as the simulated scenario), and compares.
weather() {
    load climate $3
    { "$PERCH" run --board "$2" --grant sensor:climate $MODULES/weather.wasm 2>&1; echo $? > $T/$1.status; } | {
        lines=0
        while IFS= read -r line; do
            echo "$line" >> $T/$1.out
            lines=$((lines + 1))
            [ $lines -ne 2 ] || load climate-cold $3
        done
    }
    check "$1 exits 0" [ "$(cat $T/$1.status)" = 0 ]
    same_output $1 $T/$1.out weather
}
# Plain I2C (I2C_RDWR with repeated starts) on perch-i2c-fake.
weather weather "$BOARD"
# The same chip behind the SMBus-only i2c-stub: every driver transfer goes through
# perch's SMBus fallback (read byte data, I2C block reads, write byte data).
weather weather-over-smbus "$TESTS/smbus-board.txt" stub

# --- thermostat: the TMP102 drives the heater output ------------------------------------
load temperature
{ $RUN --grant sensor:temperature --grant gpio:LED $MODULES/thermostat.wasm 2>&1; echo $? > $T/thermostat.status; } | {
    lines=0
    while IFS= read -r line; do
        echo "$line" >> $T/thermostat.out
        lines=$((lines + 1))
        case $lines in
            1) echo "heater after reading 1: $(level $LED)" > $T/heater ;;
            3) load temperature-20.5 ;;
            5) load temperature-21.5 ;;
            6) echo "heater after reading 6: $(level $LED)" >> $T/heater ;;
            8) load temperature-19.5 ;;
            9) echo "heater after reading 9: $(level $LED)" >> $T/heater ;;
        esac
    done
}
check "thermostat exits 0" [ "$(cat $T/thermostat.status)" = 0 ]
same_output thermostat $T/thermostat.out
check "the heater line was on, off, on (seen by gpio-sim)" \
    [ "$(cut -d: -f2 $T/heater | tr -d ' \n')" = 101 ]

# --- error paths through the Linux backend ----------------------------------------------
# expect NAME "OUTPUT" COMMAND...: the command prints exactly OUTPUT.
expect() {
    local name=$1 wanted=$2 got
    shift 2
    got=$("$@" 2>/dev/null)
    if [ "$got" = "$wanted" ]; then pass "$name"; else fail "$name" "printed '$got', expected '$wanted'"; fi
}
probe() { $RUN --grant i2c:fake --grant i2c:stub $MODULES/i2c-probe.wasm "$@"; }

expect "an ungranted pin is denied" "blink: cannot open LED (status 1)" $RUN $MODULES/blink.wasm
expect "an unknown bus label is not found" "i2c-probe: open nope: status 2" probe nope 0x76 0xd0 1
expect "no chip at 0x50: NAK (ENXIO) is i2c_nak_address" "i2c-probe: fake 0x50 register 0x00: status 18" probe fake 0x50 0 1
echo 110 > /sys/module/perch_i2c_fake/parameters/inject_errno
expect "a bus timeout (ETIMEDOUT) is i2c_timeout" "i2c-probe: fake 0x76 register 0xd0: status 23" probe fake 0x76 0xd0 1
expect "the bus works again after the timeout" "fake 0x76 register 0xd0: 60" probe fake 0x76 0xd0 1
echo 5 > /sys/module/perch_i2c_fake/parameters/inject_errno
expect "a bus error (EIO) is i2c_bus" "i2c-probe: fake 0x76 register 0xd0: status 16" probe fake 0x76 0xd0 1
STUB=${PERCH_I2C_STUB#/dev/i2c-}
i2cset -y "$STUB" 0x76 0x20 0x5a b && i2cset -y "$STUB" 0x76 0x21 0xa5 b && i2cset -y "$STUB" 0x76 0x22 0x3c b
expect "an SMBus-only adapter answers a register read (SMBus fallback)" "stub 0x76 register 0x20: 5a" probe stub 0x76 0x20 1
expect "an SMBus-only adapter answers a 3-byte read (I2C block)" "stub 0x76 register 0x20: 5a a5 3c" probe stub 0x76 0x20 3
expect "no chip on the SMBus adapter: NAK" "i2c-probe: stub 0x50 register 0x00: status 18" probe stub 0x50 0 1

# A line another process holds is busy (EBUSY from the kernel).
$RUN --grant gpio:LED --grant gpio:BUTTON $MODULES/button.wasm > $T/holder.out 2>&1 &
pid=$!
check "another perch holds LED" wait_held LED
expect "a line held by another process is busy" "blink: cannot open LED (status 3)" $RUN --grant gpio:LED $MODULES/blink.wasm
wait $pid
check "the holder ends normally" [ "$(untimed $T/holder.out)" = "no press for 3 s, 0 presses" ]

echo "emulated checks: $failures failed"
exit $failures
