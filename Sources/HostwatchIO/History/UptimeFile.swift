import FoundationEssentials
import Glibc
import HostwatchCore

/// `uptime.bin` in the state folder: the uptime history the agent keeps across restarts and
/// upgrades (`UptimeHistory+Encoding` says what the bytes are).
public struct UptimeFile: Sendable {
    public let path: String

    public init(stateDir: String) {
        path = stateDir + "/uptime.bin"
    }

    /// The saved history; empty when there is none. A file this build cannot read is an error
    /// (the caller logs it and starts over: the page then shows "no data", never wrong figures).
    public func load() throws(TicketStoreError) -> UptimeHistory {
        guard let data = FileManager.default.contents(atPath: path) else { return UptimeHistory() }
        do {
            return try UptimeHistory(decoding: [UInt8](data))
        } catch {
            throw .corrupt(path: path, message: error.description)
        }
    }

    /// Writes the history atomically; returns the bytes written.
    @discardableResult
    public func save(_ history: UptimeHistory) throws(TicketStoreError) -> Int {
        let bytes = history.encoded()
        try AtomicFile.write(Data(bytes), to: path)
        return bytes.count
    }
}
