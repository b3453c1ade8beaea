;; blink v1 for the supervisor demo: opens the LED (grant gpio:LED), tells the
;; supervisor it is healthy (perch.ready), then toggles the LED every 500 ms forever.
(module
  (import "gpio" "open" (func $open (param i32 i32 i32 i32) (result i32)))
  (import "gpio" "toggle" (func $toggle (param i32) (result i32)))
  (import "time" "sleep_ms" (func $sleep (param i32) (result i32)))
  (import "perch" "ready" (func $ready))
  (memory 1)
  (data (i32.const 16) "LED")
  (func (export "_start")
    ;; gpio.open("LED", OUTPUT, &handle at 0); a failure traps, which fails the swap.
    (if (call $open (i32.const 16) (i32.const 3) (i32.const 1) (i32.const 0))
      (then unreachable))
    (call $ready)
    (loop $blink
      (drop (call $toggle (i32.load (i32.const 0))))
      (drop (call $sleep (i32.const 500)))
      (br $blink))))
