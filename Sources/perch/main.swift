import PerchCLI

// Embedded Swift has no CommandLine, so argc/argv come through a C entry point;
// SwiftPM links an executable target named `perch` with `main` aliased to `perch_main`.
@_cdecl("perch_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    var arguments: [String] = []
    var i = 1
    while i < Int(argc) {
        if let arg = argv[i] { arguments.append(String(cString: arg)) }
        i += 1
    }
    return perchMain(arguments)
}
