/// A generated domain file that could not be written or removed.
public struct DiscoveryWriteError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}
