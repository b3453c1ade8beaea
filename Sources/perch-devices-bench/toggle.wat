(module
  (import "gpio" "open" (func $open (param i32 i32 i32 i32) (result i32)))
  (import "gpio" "toggle" (func $toggle (param i32) (result i32)))
  (import "gpio" "close" (func $close (param i32) (result i32)))
  (import "bench" "nop" (func $nop (param i32) (result i32)))
  (memory 1)
  (data (i32.const 16) "LED")
  ;; toggle(n): opens LED, toggles it n times, closes it; failed calls, or -1 if open failed.
  (func (export "toggle") (param $n i32) (result i32)
    (local $h i32) (local $failures i32)
    (if (call $open (i32.const 16) (i32.const 3) (i32.const 1) (i32.const 64))
      (then (return (i32.const -1))))
    (local.set $h (i32.load (i32.const 64)))
    (block $done
      (loop $loop
        (br_if $done (i32.eqz (local.get $n)))
        (if (call $toggle (local.get $h))
          (then (local.set $failures (i32.add (local.get $failures) (i32.const 1)))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $loop)))
    (drop (call $close (local.get $h)))
    (local.get $failures))
  ;; nop(n): the same loop calling a host function that does nothing (the peer).
  (func (export "nop") (param $n i32) (result i32)
    (local $failures i32)
    (block $done
      (loop $loop
        (br_if $done (i32.eqz (local.get $n)))
        (if (call $nop (i32.const 64))
          (then (local.set $failures (i32.add (local.get $failures) (i32.const 1)))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $loop)))
    (local.get $failures)))
