/// The files a discovery source reads beyond its command's output (vhost files `apache2ctl -S`
/// names, postfix map sources, nsd/bind includes, a control panel's tree). HostwatchIO reads
/// the disk under `panel.root`; tests pass a dictionary.
public protocol DiscoveryFileTree: Sendable {
    /// The file's text, or nil when it does not exist or cannot be read.
    func text(_ path: String) -> String?
    /// The names (not paths) in a folder, sorted; empty when it does not exist.
    func names(in folder: String) -> [String]
}

extension DiscoveryFileTree {
    /// The files a pattern such as `/etc/nsd/conf.d/*.conf` names (a `*` or `?` in the last
    /// component only, which is what nginx, nsd and bind configs use in practice), sorted.
    public func expand(_ pattern: String) -> [String] {
        guard pattern.contains("*") || pattern.contains("?") || pattern.contains("[") else { return [pattern] }
        let slash = pattern.lastIndex(of: "/")
        let folder = slash.map { String(pattern[..<$0]) } ?? "."
        let glob = slash.map { String(pattern[pattern.index(after: $0)...]) } ?? pattern
        return names(in: folder.isEmpty ? "/" : folder).filter { Glob.matches($0, glob) && !$0.hasPrefix(".") }
            .map { (folder.isEmpty ? "" : folder) + "/" + $0 }
    }
}
