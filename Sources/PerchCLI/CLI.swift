import PerchCore

/// Entry point shared by every build of the `perch` executable.
public func perchMain(_ arguments: [String]) -> Int32 {
    print("perch \(perchVersion)")
    return 0
}
