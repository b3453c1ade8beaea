import PerchHALSim

/// The standard simulated board's parts by the names boards/sim/board.txt gives them.
extension SimBoard {
    var led: SimGPIO.LineRef { line("LED")! }
    var button: SimGPIO.LineRef { line("BUTTON")! }
    var bus: SimI2CBus { bus("i2c1")! }
    var bme280: SimBME280 { bme280("climate")! }
    var tmp102: SimTMP102 { tmp102("temperature")! }

    /// The button drives its line high while pressed and lets it float otherwise.
    func setButton(pressed: Bool) { drive("BUTTON", pressed ? true : nil) }
}
