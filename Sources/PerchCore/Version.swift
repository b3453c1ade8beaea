/// Perch's version, printed by `perch --version` and carried in the link protocol.
public let perchVersion: StaticString = "0.1.0"
