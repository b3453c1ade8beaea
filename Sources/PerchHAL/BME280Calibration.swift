/// The factory calibration words of one Bosch BME280 (datasheet table 16): what the
/// driver reads from the chip and the simulated chip serves, defined once for both.
public struct BME280Calibration: Sendable, Equatable {
    public var t1: UInt16, t2: Int16, t3: Int16
    public var p1: UInt16, p2: Int16, p3: Int16, p4: Int16, p5: Int16
    public var p6: Int16, p7: Int16, p8: Int16, p9: Int16
    public var h1: UInt8, h2: Int16, h3: UInt8, h4: Int16, h5: Int16, h6: Int8

    public init(
        t1: UInt16, t2: Int16, t3: Int16, p1: UInt16, p2: Int16, p3: Int16, p4: Int16,
        p5: Int16, p6: Int16, p7: Int16, p8: Int16, p9: Int16,
        h1: UInt8, h2: Int16, h3: UInt8, h4: Int16, h5: Int16, h6: Int8
    ) {
        self.t1 = t1; self.t2 = t2; self.t3 = t3
        self.p1 = p1; self.p2 = p2; self.p3 = p3; self.p4 = p4; self.p5 = p5
        self.p6 = p6; self.p7 = p7; self.p8 = p8; self.p9 = p9
        self.h1 = h1; self.h2 = h2; self.h3 = h3; self.h4 = h4; self.h5 = h5; self.h6 = h6
    }
}
