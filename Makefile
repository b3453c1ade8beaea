# --- validator: fuzzing and load benchmark (owned by the validator engineer) ---------------
PERCH_SHARED ?= ../shared
FUZZ_SECONDS ?= 600
FUZZ_BIN = fuzz/.build/release/PerchFuzz

.PHONY: fuzz fuzz-build bench-load

# libFuzzer (+ AddressSanitizer) over decode + validate. The corpus is seeded with every
# spec-suite module (copied into the ignored fuzz-corpus/); crashes land in fuzz-artifacts/.
fuzz-build:
	cd fuzz && swift build -c release --sanitize=fuzzer --sanitize=address

fuzz: fuzz-build
	mkdir -p fuzz-corpus fuzz-artifacts
	find $(PERCH_SHARED)/spec/wasm2/json $(PERCH_SHARED)/bench/wasm -name '*.wasm' -size -256k \
	  -exec cp -n {} fuzz-corpus/ \;
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=4096 \
	  -artifact_prefix=fuzz-artifacts/ -print_final_stats=1 fuzz-corpus

# Decode + validate time for bigmodule.wasm against wasmkit in the same run, and the
# side-table / code-section ratio of every benchmark module.
bench-load:
	swift build -c release --product perch-bench-load
	.build/release/perch-bench-load $(PERCH_SHARED)/bench/wasm
