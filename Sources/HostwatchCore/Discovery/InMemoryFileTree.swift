/// A file tree held in memory: path to text. For tests and for sources whose files came
/// with the command's output (`nginx -T`).
public struct InMemoryFileTree: DiscoveryFileTree {
    public var files: [String: String]
    public init(_ files: [String: String] = [:]) { self.files = files }
    public func text(_ path: String) -> String? { files[path] }
    public func names(in folder: String) -> [String] {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        var names = Set<String>()
        for path in files.keys where path.hasPrefix(prefix) {
            let rest = path.dropFirst(prefix.count)
            names.insert(String(rest.prefix { $0 != "/" }))
        }
        return names.sorted()
    }
}
