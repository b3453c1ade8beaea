# Perch: every build and test is one target here. `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := build

SWIFT ?= swift
# Each build has its own scratch folder so switching targets never rebuilds the others.
EMBEDDED_FLAGS := -Xswiftc -enable-experimental-feature -Xswiftc Embedded -Xswiftc -wmo
# Device builds keep no frame pointer: the interpreter's handlers (perch_dispatch.h) would
# each push and pop one around a few instructions of work.
DEVICE_FLAGS := -c release --omit-frame-pointers
AARCH64 := swift build $(DEVICE_FLAGS) --triple aarch64-none-none-elf --toolset toolchain/aarch64-linux.json --scratch-path .build-aarch64
ARMV7 := swift build $(DEVICE_FLAGS) --triple armv7-none-none-eabi --toolset toolchain/armv7-linux.json --scratch-path .build-armv7
# Cortex-M4F: 64-bit division and double-precision helpers come from the bare-metal GCC's
# libgcc, math functions (sqrt, floor, ...) from Debian's newlib libm, both for this exact
# CPU/FPU/ABI (the Swift toolchain has no ARM compiler-rt or libm).
M4_CPU_FLAGS := -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16
LIBGCC_M4 = $(shell arm-none-eabi-gcc $(M4_CPU_FLAGS) -print-libgcc-file-name)
LIBM_M4 = $(shell arm-none-eabi-gcc $(M4_CPU_FLAGS) -print-file-name=libm.a)
# The device build for x86_64: Embedded Swift with the ARM toolsets' options (-Osize,
# function sections, --gc-sections; PerchInterp built for speed by Package.swift, as on the
# boards), so its start-up, size, RSS and speed are what a board gets.
DEVICE_X86_64 := swift build $(DEVICE_FLAGS) --toolset toolchain/x86_64-linux.json --scratch-path .build-x86_64
# The full-Swift host build, optimised, with the Swift runtime linked in statically: no
# libswiftCore to load and relocate at every start (hello: 4.1 -> 2.4 ms CPU, 8.9 -> 6.3 MB).
HOST_RELEASE := $(SWIFT) build -c release --static-swift-stdlib
CORTEX_M4 = PERCH_MCU_IMAGE=1 swift build -c release --triple armv7em-none-none-eabi \
	--toolset toolchain/cortex-m4.json --scratch-path .build-cortex-m4 \
	-Xlinker -L$(dir $(LIBM_M4)) -Xlinker -lm -Xlinker $(LIBGCC_M4)

QEMU_AARCH64 := timeout 300 qemu-aarch64 -L /usr/aarch64-linux-gnu
QEMU_ARM := timeout 300 qemu-arm -L /usr/arm-linux-gnueabihf
QEMU_M4 := timeout 60 qemu-system-arm -M mps2-an386 -nographic -semihosting-config enable=on,target=native -kernel

# `make test` runs these tiers in order; each prints its own `N passed, N failed` line.
# To add a tier (spectest, examples, ...): write a `test-NAME` target that ends with such
# a line and exits non-zero on failure, and append it here.
TEST_TIERS := test-host test-embedded test-aarch64 test-armv7 test-spectest-aarch64 test-spectest-armv7 \
	test-cortex-m4 test-bench-checksums test-emulated-arm64 test-emulated-armv7

.PHONY: help setup build release embedded device-x86_64 cross-aarch64 cross-armv7 cortex-m4 test $(TEST_TIERS) test-emulated demo clean

help:
	@echo "Perch make targets:"
	@echo "  setup          install the Debian packages the build needs (idempotent)"
	@echo "  build          host build, full Swift (the default): .build/debug/perch"
	@echo "  release        host build, full Swift, optimised, Swift runtime static: .build/release/perch"
	@echo "  embedded       device sources as Embedded Swift for the host (the fast gate)"
	@echo "  device-x86_64  the device build (Embedded, -Osize, interpreter -O) for x86_64: out/x86_64/perch (what make bench runs)"
	@echo "  cross-aarch64  perch for aarch64 Linux (Pi 3/4/5, 64-bit): out/aarch64/perch"
	@echo "  cross-armv7    perch for armv7 hard-float Linux (Pi 2/3/Zero 2 W, 32-bit): out/armv7/perch"
	@echo "  cortex-m4      bare-metal self-test image for Cortex-M4F (mps2-an386): out/cortex-m4/perch-mcu.elf"
	@echo "  test           every test tier: $(TEST_TIERS)"
	@echo "  test-emulated  the device examples and the supervisor on both emulated Linux boards: test-emulated-arm64"
	@echo "                 (aarch64 perch, boards/qemu-virt-arm64) and test-emulated-armv7 (armv7, boards/qemu-virt-armv7)"
	@echo "  demo           setup, build, then run Perch on the simulated board"
	@echo "  examples       guest programs (C, Embedded Swift) into out/examples/"
	@echo "  demo-devices   the GPIO/I2C/sensor examples on the simulated board"
	@echo "  bench          ../shared/bench, device-build perch vs WasmKit in the same run, then bench-startup (ICOUNT=1: instruction counts)"
	@echo "  bench-startup  hello + bigmodule: device build and full-Swift host build vs WasmKit, CPU and RSS"
	@echo "  bench-load     decode+validate bigmodule.wasm against WasmKit; side-table ratios"
	@echo "  bench-devices  gpio.toggle host-call cost and heap allocations"
	@echo "  fuzz           libFuzzer over decode+validate (FUZZ_SECONDS, default 600)"
	@echo "  clean          remove build folders and out/"

setup:
	@toolchain/setup.sh

build:
	$(SWIFT) build

release:
	$(HOST_RELEASE) --product perch

embedded:
	$(SWIFT) build --scratch-path .build-embedded $(EMBEDDED_FLAGS) --product perch

device-x86_64:
	$(DEVICE_X86_64) --product perch
	@mkdir -p out/x86_64
	strip -o out/x86_64/perch .build-x86_64/release/perch
	@echo "x86_64 device-build perch, stripped: $$(stat -c %s out/x86_64/perch) bytes (out/x86_64/perch)"

cross-aarch64:
	$(AARCH64) --product perch
	@mkdir -p out/aarch64
	aarch64-linux-gnu-strip -o out/aarch64/perch .build-aarch64/release/perch
	@echo "aarch64 perch, stripped: $$(stat -c %s out/aarch64/perch) bytes (out/aarch64/perch)"

cross-armv7:
	$(ARMV7) --product perch
	@mkdir -p out/armv7
	arm-linux-gnueabihf-strip -o out/armv7/perch .build-armv7/release/perch
	@echo "armv7hf perch, stripped: $$(stat -c %s out/armv7/perch) bytes (out/armv7/perch)"

cortex-m4:
	@test -f "$(LIBGCC_M4)" -a -f "$(LIBM_M4)" || { echo "no libgcc/libm for Cortex-M4: run 'make setup'" >&2; exit 1; }
	$(CORTEX_M4) --product perch-mcu
	@mkdir -p out/cortex-m4
	cp .build-cortex-m4/release/perch-mcu out/cortex-m4/perch-mcu.elf
	@echo "Cortex-M4 image (out/cortex-m4/perch-mcu.elf):"
	@arm-none-eabi-size out/cortex-m4/perch-mcu.elf

test:
	@toolchain/test-tiers.sh $(TEST_TIERS)

test-host:
	@mkdir -p out/test && rm -f out/test/host*.xml
	@status=0; $(SWIFT) test --xunit-output out/test/host.xml || status=$$?; \
	if compgen -G 'out/test/host*.xml' >/dev/null; then \
		python3 toolchain/xunit-counts.py "host swift test" out/test/host*.xml; fi; \
	exit $$status

test-embedded: embedded
	.build-embedded/debug/perch selftest --verbose | sed -E 's/^selftest: /embedded x86_64 selftest: /'

test-aarch64: cross-aarch64
	$(QEMU_AARCH64) out/aarch64/perch --version
	$(QEMU_AARCH64) out/aarch64/perch selftest --verbose | sed -E 's/^selftest: /qemu-aarch64 selftest: /'

test-armv7: cross-armv7
	$(QEMU_ARM) out/armv7/perch --version
	$(QEMU_ARM) out/armv7/perch selftest --verbose | sed -E 's/^selftest: /qemu-arm selftest: /'

# The whole wasm2 spec suite (148 scripts: every module validated, non-SIMD ones executed)
# under each cross-built binary. On armv7 `Int` is 32 bits, so a conversion that is harmless
# on the host can trap there, and an Embedded trap kills the process without a word; a
# crash fails the tier through pipefail. Skipped commands (SIMD execution, text-format
# modules) are counted in the line. Each arch takes about 15-30 s under qemu here.
SPEC_SCRIPTS = $(sort $(wildcard $(PERCH_SHARED)/spec/wasm2/json/*/*.json $(PERCH_SHARED)/spec/wasm2/json/simd/*/*.json))
SPEC_TOTAL = sed -E 's/^spectest: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$$/$(1) spectest wasm2 ($(words $(SPEC_SCRIPTS)) scripts, \3 skipped): \1 passed, \2 failed/'

test-spectest-aarch64: cross-aarch64
	@echo "$(QEMU_AARCH64) out/aarch64/perch spectest --quiet <$(words $(SPEC_SCRIPTS)) wasm2 scripts>"
	@$(QEMU_AARCH64) out/aarch64/perch spectest --quiet $(SPEC_SCRIPTS) | $(call SPEC_TOTAL,qemu-aarch64)

test-spectest-armv7: cross-armv7
	@echo "$(QEMU_ARM) out/armv7/perch spectest --quiet <$(words $(SPEC_SCRIPTS)) wasm2 scripts>"
	@$(QEMU_ARM) out/armv7/perch spectest --quiet $(SPEC_SCRIPTS) | $(call SPEC_TOTAL,qemu-arm)

# The image's exit status (semihosting) is its failure count; 255 means it faulted.
# QEMU writes semihosting output to its stderr.
test-cortex-m4: cortex-m4
	$(QEMU_M4) out/cortex-m4/perch-mcu.elf </dev/null 2>&1 | sed -E 's/^selftest: /cortex-m4 qemu-system-arm selftest: /'

# The device examples and the supervisor under the cross-built perch on Debian's own kernel
# in QEMU, with gpio-sim and fake I2C chips: arm64 (qemu-system-aarch64) and armv7 hard-float
# (qemu-system-arm), the same scripts and checks (boards/qemu-virt-arm64/README.md). The
# kernel packages come from `make setup`; an image is rebuilt only when its inputs change.
test-emulated:
	@$(MAKE) --no-print-directory -k test-emulated-arm64 test-emulated-armv7

test-emulated-arm64: cross-aarch64 examples build
	@PERCH_VM_BOARD=qemu-virt-arm64 boards/qemu-virt-arm64/test.sh

test-emulated-armv7: cross-armv7 examples build
	@PERCH_VM_BOARD=qemu-virt-armv7 boards/qemu-virt-arm64/test.sh

# The demo: the device self-test, guest programs under `perch run` on the simulated board,
# then Perch's main job: `perch serve` receiving signed updates over loopback TCP, hot-swapping
# blink v1 -> v2 and refusing a trapping v3 while v2 keeps running (stops by itself).
demo: setup build examples
	.build/debug/perch --version
	.build/debug/perch selftest
	.build/debug/perch run --board boards/sim out/examples/hello.wasm from the demo
	.build/debug/perch run --board boards/sim out/examples/swift-hello.wasm
	bash examples/supervisor/demo.sh

# Other engineers add here: fuzz, bench, examples, spectest (and their test-* tiers above).

# --- wasi: guest programs for `perch run` (owned by the WASI engineer) -----------------------
# `make examples` builds examples/{hello,files,swift-hello} into out/examples/.
include toolchain/examples.mk

# --- devices: examples against toolchain/sdk/perch.h, demo on the simulated board, bench ---
include toolchain/sdk/devices.mk

# Every ../shared/bench program under an optimised `perch run` must print its expected
# checksum (the debug build used by test-host would take minutes per program).
test-bench-checksums:
	$(HOST_RELEASE) --product perch
	@mkdir -p out/test && rm -f out/test/bench-checksums.jsonl
	@status=0; PERCH_BIN=.build/release/perch $(SWIFT) test --filter BenchChecksumTests \
		--experimental-event-stream-output out/test/bench-checksums.jsonl \
		--experimental-event-stream-version 0 || status=$$?; \
	if [ -f out/test/bench-checksums.jsonl ]; then \
		python3 toolchain/test-case-counts.py "bench checksums under perch run (one case a program)" \
			out/test/bench-checksums.jsonl || status=1; fi; \
	exit $$status

# --- validator: fuzzing and load benchmark (owned by the validator engineer) ---------------
PERCH_SHARED ?= ../shared
FUZZ_SECONDS ?= 600
FUZZ_BIN = fuzz/.build/release/PerchFuzz

.PHONY: fuzz fuzz-build bench bench-startup bench-load

# libFuzzer (+ AddressSanitizer) over decode + validate. The corpus is seeded with every
# spec-suite module and, as wrapped function bodies, every body in them (all into the
# ignored fuzz-corpus/); crashes land in fuzz-artifacts/.
# The coverage kinds are spelled out: `--sanitize=fuzzer` together with address did not
# always instrument the Swift objects, leaving libFuzzer blind (check the "inline 8-bit
# counters" line at start-up: thousands, not a handful).
fuzz-build:
	cd fuzz && swift build -c release --sanitize=fuzzer --sanitize=address -Xswiftc -use-ld=lld \
	  -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp

fuzz: fuzz-build
	mkdir -p fuzz-corpus fuzz-artifacts
	find $(PERCH_SHARED)/spec/wasm2/json $(PERCH_SHARED)/bench/wasm -name '*.wasm' -size -256k \
	  -exec cp -n {} fuzz-corpus/ \;
	find $(PERCH_SHARED)/spec/wasm2/json -name '*.wasm' -print0 | xargs -0 python3 fuzz/seed-bodies.py fuzz-corpus
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=4096 \
	  -artifact_prefix=fuzz-artifacts/ -print_final_stats=1 fuzz-corpus

# The benchmark suite (../shared/bench) against the toolchain's WasmKit in the same run:
# per-program CPU-time ratios, peak RSS, checksums, geometric mean; then bench-summary.py's
# per-program ratios and geometric mean. `perch` is the device build for x86_64 (Embedded
# Swift, -Osize with the interpreter at -O, as on the boards): the binary users run. With ICOUNT=1 every number is an
# executed-instruction count under qemu-x86_64 (deterministic; slow: about 20 minutes).
# Run from a copy so nothing is written into shared/. REPS, BENCH and ICOUNT pass through.
BENCH_COPY = rm -rf out/bench && mkdir -p out/bench-results && cp -r $(PERCH_SHARED)/bench out/bench && chmod -R u+w out/bench
bench: device-x86_64
	$(BENCH_COPY)
	cd out/bench && JSON=$(CURDIR)/out/bench-results/suite.json ./run.sh "perch=$(CURDIR)/out/x86_64/perch run"
	python3 toolchain/bench-summary.py out/bench-results/suite.json
	$(MAKE) --no-print-directory bench-startup

# Start-up cost of both builds in one run: the device build and the full-Swift host build
# (`make release`), hello and bigmodule, CPU-time and peak-RSS ratios to WasmKit.
bench-startup: device-x86_64 release
	$(BENCH_COPY)
	cd out/bench && BENCH=hello,bigmodule REPS=$${REPS:-10} JSON=$(CURDIR)/out/bench-results/startup.json ./run.sh \
		"perch=$(CURDIR)/out/x86_64/perch run" "perch-host=$(CURDIR)/.build/release/perch run"
	python3 toolchain/bench-summary.py out/bench-results/startup.json

# Decode + validate time for bigmodule.wasm against wasmkit in the same run, and the
# side-table / code-section ratio of every benchmark module.
bench-load:
	swift build -c release --product perch-bench-load
	.build/release/perch-bench-load $(PERCH_SHARED)/bench/wasm

clean:
	rm -rf .build .build-embedded .build-x86_64 .build-aarch64 .build-armv7 .build-cortex-m4 out
