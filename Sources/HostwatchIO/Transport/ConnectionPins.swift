import HostwatchCore
import Synchronization

/// The names under which web checks keep connections open, each with the one address it is
/// pinned to.
///
/// A kept connection is found again by libcurl under the URL's name and port; it is reached
/// through `CURLOPT_RESOLVE` (name and port to the check's address in the loop's DNS cache),
/// because `CURLOPT_CONNECT_TO` would file every site of one server under that server's
/// address, and libcurl 7.88 examines every connection filed under a key on each new transfer.
/// A name checked at two addresses (a site checked here and from a peer, on IPv4 and IPv6)
/// would then share one cache entry and one connection: such a name is marked ambiguous at the
/// first disagreement and its checks connect anew every time, as without kept connections.
/// The loop's DNS cache is shared by its transfers, but a name:port is only ever entered with
/// its one address, and a transfer runs from adding its entry to resolving in one step of the
/// loop thread.
final class ConnectionPins: Sendable {
    /// "name:port" to its address ("-": the name resolved by libcurl), or nil when ambiguous.
    private let pins = Mutex<[String: String?]>([:])

    /// The `CURLOPT_RESOLVE` entry for a transfer to `url` at `address`, or nil when the
    /// transfer must connect anew (an ambiguous name, an address literal, a URL not understood).
    func resolveEntry(url: String, address: String?) -> String? {
        guard let (host, port) = Self.origin(of: url) else { return nil }
        let key = "\(host):\(port)"
        let agreed = pins.withLock { pins -> Bool in
            let wanted = address ?? "-"
            guard let pinned = pins[key] else {
                pins[key] = .some(wanted)
                return true
            }
            guard pinned == wanted else {
                pins[key] = .some(nil)
                return false
            }
            return true
        }
        guard agreed else { return nil }
        guard let address else { return "" }   // no pin: libcurl resolves the name itself
        return "\(key):\(address.contains(":") ? "[\(address)]" : address)"
    }

    /// The lowercased host name and port of an http(s) URL, as the config read it
    /// (`URLParts`); nil for an address literal or a name libcurl would rewrite (IDN).
    static func origin(of url: String) -> (host: String, port: Int)? {
        let parts = URLParts(url)
        let host = parts.host.lowercased()
        guard parts.scheme == "http" || parts.scheme == "https", (1...65535).contains(parts.port),
              host.allSatisfy(\.isASCII), host.contains(where: \.isLetter),
              host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" }) else { return nil }
        return (host, parts.port)
    }
}
