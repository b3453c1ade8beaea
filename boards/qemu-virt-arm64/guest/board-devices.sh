# Sourced: creates the emulated board's devices as boards/qemu-virt-arm64/board.txt
# declares them, and exports where the outside world reaches them:
#   PERCH_GPIO_SIM  sysfs folder of the gpio-sim chip `testbed-gpio` (lines LED = 0,
#                   BUTTON = 1): sim_gpioN/value is the level the chip drives or sees,
#                   writing pull-up/pull-down to sim_gpioN/pull moves an input
#   PERCH_I2C_FAKE  /dev/i2c-N of the adapter `testbed fake I2C` (perch-i2c-fake: byte
#                   chip at 0x76, word chip at 0x48)
#   PERCH_I2C_STUB  /dev/i2c-N of `SMBus stub driver` (i2c-stub, SMBus only, chip at 0x76)
board_devices_up() {
    local config=/sys/kernel/config/gpio-sim/perch
    mkdir "$config" "$config/bank0" || return 1
    echo 8 > "$config/bank0/num_lines"
    echo testbed-gpio > "$config/bank0/label"
    mkdir "$config/bank0/line0" "$config/bank0/line1"
    echo LED > "$config/bank0/line0/name"
    echo BUTTON > "$config/bank0/line1/name"
    echo 1 > "$config/live" || return 1
    export PERCH_GPIO_SIM=/sys/devices/platform/$(cat "$config/dev_name")/$(cat "$config/bank0/chip_name")
    export PERCH_I2C_FAKE=$(i2c_device "testbed fake I2C")
    export PERCH_I2C_STUB=$(i2c_device "SMBus stub driver")
    echo "PERCH-VM: gpio-sim testbed-gpio at $PERCH_GPIO_SIM; i2c fake $PERCH_I2C_FAKE, stub $PERCH_I2C_STUB"
    [ -n "$PERCH_I2C_FAKE" ] && [ -n "$PERCH_I2C_STUB" ]
}

# The /dev/i2c-N of the adapter with this name.
i2c_device() {
    local name
    for name in /sys/class/i2c-dev/*/name; do
        if [ "$(cat "$name")" = "$1" ]; then
            name=${name%/name}
            echo "/dev/${name##*/}"
            return
        fi
    done
}
