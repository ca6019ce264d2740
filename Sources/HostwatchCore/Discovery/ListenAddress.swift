/// One address and port a web server listens on for a site.
public struct ListenAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The IP literal, or nil for every address (`listen 80;`, `*:80`).
    public var address: String?
    public var port: Int
    /// TLS on this listener (`listen 443 ssl`, `SSLEngine on`).
    public var tls: Bool

    public init(address: String?, port: Int, tls: Bool) {
        self.address = address
        self.port = port
        self.tls = tls
    }

    /// `127.0.1.2:443 ssl`, `*:80`.
    public var description: String {
        let host = address.map { $0.contains(":") ? "[\($0)]" : $0 } ?? "*"
        return "\(host):\(port)\(tls ? " ssl" : "")"
    }

    public static func < (a: ListenAddress, b: ListenAddress) -> Bool {
        (a.port, a.address ?? "", a.tls ? 1 : 0) < (b.port, b.address ?? "", b.tls ? 1 : 0)
    }
}
