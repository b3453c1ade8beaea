import PerchCore

/// Arguments, environment, clocks, randomness and `poll_oneoff`.
extension WASI {
    /// `args_get` / `environ_get`: pointers into the guest's buffer, then the strings.
    func argsGet(_ call: HostCall, _ bytes: [UInt8], _ count: Int) -> WASIErrno {
        let (pointerBytes, overflow) = UInt32(count).multipliedReportingOverflow(by: 4)
        guard !overflow,
              let pointers = call.memory.range(call.i32(0), pointerBytes),
              let buffer = call.memory.range(call.i32(1), UInt32(bytes.count))
        else { return .fault }
        let bufferAddress = call.i32(1)
        var offset = 0
        for index in 0..<count {
            pointers.put(bufferAddress &+ UInt32(offset), at: index * 4)
            while bytes[offset] != 0 { offset += 1 }
            offset += 1
        }
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
        return .success
    }

    /// `args_sizes_get` / `environ_sizes_get`.
    func sizesGet(_ call: HostCall, _ bytes: [UInt8], _ count: Int) -> WASIErrno {
        guard call.memory.store(UInt32(count), at: call.i32(0)),
              call.memory.store(UInt32(bytes.count), at: call.i32(1))
        else { return .fault }
        return .success
    }

    func clockResGet(_ call: HostCall) -> WASIErrno {
        guard let clock = Self.clock(call.i32(0)) else { return .inval }
        guard let resolution = platform.clock.resolution(clock) else { return .notsup }
        return call.memory.store(resolution, at: call.i32(1)) ? .success : .fault
    }

    func clockTimeGet(_ call: HostCall) -> WASIErrno {
        guard let clock = Self.clock(call.i32(0)) else { return .inval }
        guard let time = platform.clock.now(clock) else { return .notsup }
        return call.memory.store(time, at: call.i32(2)) ? .success : .fault
    }

    func randomGet(_ call: HostCall) -> WASIErrno {
        guard let buffer = call.memory.range(call.i32(0), call.i32(1)) else { return .fault }
        return platform.random.fill(buffer) ? .success : .io
    }

    static func clock(_ id: UInt32) -> ClockID? {
        id <= 3 ? ClockID(rawValue: UInt8(id)) : nil
    }

    /// `poll_oneoff(in, out, nsubscriptions, *nevents)`.
    ///
    /// Subscriptions that are ready now (fd writes, readable files, stdin with data or at
    /// end, errors) are reported at once. If only clocks remain, the soonest ones are
    /// reported and the call *suspends* for their timeout: the run loop sleeps through the
    /// platform and resumes the guest, so a sleeping guest is a safe point for a supervisor.
    /// If stdin is waited on, the wait happens here, bounded by the soonest clock.
    func pollOneoff(_ call: HostCall) -> HostOutcome {
        let count = call.i32(2)
        let result = pollOneoff(call, count: count)
        switch result {
        case .failure(let errno):
            call.setI32(0, UInt32(errno.rawValue))
            return .done
        case .success(let sleep):
            call.setI32(0, 0)
            if let sleep { return .suspend(wakeAfterNanoseconds: sleep) }
            return .done
        }
    }

    private func pollOneoff(_ call: HostCall, count: UInt32) -> Result<UInt64?, WASIErrno> {
        guard count > 0 else { return .failure(.inval) }
        let (inBytes, inOverflow) = count.multipliedReportingOverflow(by: WASIConstant.subscriptionSize)
        let (outBytes, outOverflow) = count.multipliedReportingOverflow(by: WASIConstant.eventSize)
        guard !inOverflow, !outOverflow,
              let subscriptions = call.memory.range(call.i32(0), inBytes),
              let events = call.memory.range(call.i32(1), outBytes)
        else { return .failure(.fault) }
        let eventCountAddress = call.i32(3)
        guard call.memory.range(eventCountAddress, 4) != nil else { return .failure(.fault) }

        var eventCount = 0
        var soonest: UInt64? = nil
        var waitingHandle: FileHandle? = nil
        func emit(_ subscription: Int, type: UInt8, error: WASIErrno, bytes: UInt64 = 0) {
            let event = eventCount * Int(WASIConstant.eventSize)
            events.put(subscriptions.get(UInt64.self, at: subscription), at: event)
            events.put(error.rawValue, at: event + 8)
            events.put(type, at: event + 10)
            events.put(UInt8(0), at: event + 11)
            events.put(UInt32(0), at: event + 12)
            events.put(bytes, at: event + 16)
            events.put(UInt64(0), at: event + 24)
            eventCount += 1
        }
        // Pass 1: report what is ready now, find the soonest clock and any stream to wait on.
        for index in 0..<Int(count) {
            let base = index * Int(WASIConstant.subscriptionSize)
            let tag = subscriptions.get(UInt8.self, at: base + 8)
            switch tag {
            case WASIConstant.eventClock:
                guard let timeout = clockTimeout(subscriptions, base) else {
                    emit(base, type: tag, error: .inval)
                    continue
                }
                if timeout == 0 {
                    emit(base, type: tag, error: .success)
                } else if soonest.map({ timeout < $0 }) ?? true {
                    soonest = timeout
                }
            case WASIConstant.eventFdRead, WASIConstant.eventFdWrite:
                let fd = subscriptions.get(UInt32.self, at: base + 16)
                guard let entry = try? descriptor(fd) else {
                    emit(base, type: tag, error: .badf)
                    continue
                }
                if tag == WASIConstant.eventFdRead && entry.kind == .stream
                    && !files.waitReadable(entry.handle, timeout: 0) {
                    waitingHandle = waitingHandle ?? entry.handle
                } else {
                    emit(base, type: tag, error: .success)
                }
            default:
                emit(base, type: tag, error: .inval)
            }
        }
        if eventCount > 0 {
            _ = call.memory.store(UInt32(eventCount), at: eventCountAddress)
            return .success(nil)
        }
        var sleep: UInt64? = nil
        if let handle = waitingHandle {
            // Block here: stdin readiness cannot be resumed into from the run loop.
            if files.waitReadable(handle, timeout: soonest) || soonest == nil {
                for index in 0..<Int(count) {
                    let base = index * Int(WASIConstant.subscriptionSize)
                    if subscriptions.get(UInt8.self, at: base + 8) == WASIConstant.eventFdRead {
                        emit(base, type: WASIConstant.eventFdRead, error: .success)
                    }
                }
                _ = call.memory.store(UInt32(eventCount), at: eventCountAddress)
                return .success(nil)
            }
        } else {
            sleep = soonest
        }
        // The soonest clocks fire (after the sleep, for the run loop to carry out).
        for index in 0..<Int(count) {
            let base = index * Int(WASIConstant.subscriptionSize)
            if subscriptions.get(UInt8.self, at: base + 8) == WASIConstant.eventClock,
               let timeout = clockTimeout(subscriptions, base), let soonest, timeout <= soonest {
                emit(base, type: WASIConstant.eventClock, error: .success)
            }
        }
        _ = call.memory.store(UInt32(eventCount), at: eventCountAddress)
        return .success(sleep)
    }

    /// Nanoseconds until a clock subscription fires (0 if already due), nil for a bad clock.
    private func clockTimeout(_ subscriptions: UnsafeMutableRawBufferPointer, _ base: Int) -> UInt64? {
        guard let clock = Self.clock(subscriptions.get(UInt32.self, at: base + 16)),
              let now = platform.clock.now(clock)
        else { return nil }
        let timeout = subscriptions.get(UInt64.self, at: base + 24)
        let flags = subscriptions.get(UInt16.self, at: base + 40)
        guard flags & WASIConstant.subscriptionAbsoluteTime != 0 else { return timeout }
        return timeout > now ? timeout - now : 0
    }
}
