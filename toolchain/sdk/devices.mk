# Device examples and benchmark (included by the top-level Makefile).
#
# `make examples` also builds examples/{blink,button,weather,thermostat} against
# toolchain/sdk/perch.h; `make demo-devices` runs them on the simulated board with
# scripted button presses and temperatures; `make bench-devices` measures host calls
# (heap allocations must be 0; prints ns per toggle against its peers).

DEVICE_EXAMPLES := $(EXAMPLES_OUT)/blink.wasm $(EXAMPLES_OUT)/button.wasm \
	$(EXAMPLES_OUT)/weather.wasm $(EXAMPLES_OUT)/thermostat.wasm $(EXAMPLES_OUT)/swift-blink.wasm \
	$(EXAMPLES_OUT)/i2c-probe.wasm

examples: $(DEVICE_EXAMPLES)

# The C ones, by the one C-example recipe of toolchain/examples.mk.
$(foreach example,blink button weather thermostat i2c-probe,$(eval $(call c_example,$(example))))

# swift-blink (Embedded Swift, against the guest SDK package) is built by the swift-%
# rule of toolchain/examples.mk.

.PHONY: demo-devices bench-devices
demo-devices: build $(DEVICE_EXAMPLES)
	.build/debug/perch run --board boards/sim --grant gpio:LED $(EXAMPLES_OUT)/blink.wasm 3
	.build/debug/perch run --board boards/sim --grant gpio:LED --grant gpio:BUTTON \
		--sim BUTTON=1@1200 --sim BUTTON=z@1300 --sim BUTTON=1@2000 --sim BUTTON=z@2100 $(EXAMPLES_OUT)/button.wasm
	.build/debug/perch run --board boards/sim --grant sensor:climate \
		--sim climate.temperature=21.5 --sim climate.humidity=55 --sim climate.temperature=23@1500 $(EXAMPLES_OUT)/weather.wasm
	.build/debug/perch run --board boards/sim --grant sensor:temperature --grant gpio:LED \
		--sim temperature.temperature=18.5 --sim temperature.temperature=21.5@4500 $(EXAMPLES_OUT)/thermostat.wasm
	.build/debug/perch run --board boards/sim --grant gpio:LED $(EXAMPLES_OUT)/swift-blink.wasm
	-.build/debug/perch run --board boards/sim $(EXAMPLES_OUT)/blink.wasm

bench-devices:
	$(SWIFT) build -c release --product perch-devices-bench
	.build/release/perch-devices-bench
