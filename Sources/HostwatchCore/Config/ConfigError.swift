/// One problem in a config file, printed as `FILE:LINE:COLUMN: key.path: message`.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var position: SourcePosition?
    /// The key path (`web.expect_status[1]`); empty for the file as a whole.
    public var path: String
    public var message: String
    /// A notice that does not make the config invalid (a section this build does not act on yet).
    public var isNotice: Bool

    public init(file: String, position: SourcePosition?, path: String, message: String, isNotice: Bool = false) {
        self.file = file
        self.position = position
        self.path = path
        self.message = message
        self.isNotice = isNotice
    }

    public var description: String {
        var out = file
        if let position { out += ":\(position.line):\(position.column)" }
        out += ": "
        if !path.isEmpty { out += "\(path): " }
        if isNotice { out += "note: " }
        out += message
        return out
    }
}
