# Sourced by the guest-side test scripts (examples.sh, supervisor-guest.sh): the gpio-sim
# lines as the outside world sees them. LINE is a line's sysfs folder
# ($PERCH_GPIO_SIM/sim_gpioN); NAME is its name on the board (LED, BUTTON).

# level LINE: the level the line is at, 0 or 1.
level() { local value; read -r value < "$1/value"; echo "$value"; }

# wait_level LINE VALUE [TENTHS]: until the line reads VALUE; false after TENTHS tenths of
# a second (default 50). Polled, so a guest slowed by a loaded host still passes: how long
# the answer takes decides nothing below the bound.
wait_level() {
    local tries=0 limit=$(( ${3:-50} * 2 ))
    until [ "$(level "$1")" = "$2" ]; do
        tries=$((tries + 1))
        [ $tries -lt $limit ] || return 1
        sleep 0.05
    done
}

# wait_held NAME: until perch has requested the board line NAME (debugfs names the
# consumer); false after 10 s.
wait_held() {
    local tries=0
    until grep -qE "\($1 +\|perch" /sys/kernel/debug/gpio; do
        tries=$((tries + 1))
        [ $tries -lt 200 ] || return 1
        sleep 0.05
    done
}

# wait_watched LINE: until perch watches the line's edges: its interrupt, named after the
# consumer, is requested (irq_sim numbers them by line offset). Between the request that
# wait_held sees and this, a level change is no edge to anyone, and the request's bias may
# still overwrite a pull set from outside. False after 10 s.
wait_watched() {
    local tries=0
    until grep -qE "irq_sim +${1##*sim_gpio} +Edge +perch\$" /proc/interrupts; do
        tries=$((tries + 1))
        [ $tries -lt 200 ] || return 1
        sleep 0.05
    done
}
