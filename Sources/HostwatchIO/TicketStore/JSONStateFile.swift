import FoundationEssentials
import HostwatchCore

/// One JSON document under the state folder, replaced atomically (temporary file, fsync,
/// rename): the tracker's state and the status snapshot.
public struct JSONStateFile<Value: Codable>: Sendable {
    public let path: String
    /// One line, no indentation: for state nobody reads by eye and that may be large.
    public let compact: Bool

    public init(path: String, compact: Bool = false) {
        self.path = path
        self.compact = compact
    }

    /// The saved value; nil when there is none. A corrupt file is an error, not silently nil.
    public func load() throws(TicketStoreError) -> Value? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            return try FileTicketStore.decoder.decode(Value.self, from: data)
        } catch {
            throw .corrupt(path: path, message: "\(error)")
        }
    }

    public func save(_ value: Value) throws(TicketStoreError) {
        let data: Data
        let encoder = FileTicketStore.encoder
        if compact { encoder.outputFormatting = [.withoutEscapingSlashes] }
        do { data = try encoder.encode(value) } catch { throw .invalidChange("cannot encode \(path): \(error)") }
        try AtomicFile.write(data, to: path)
    }
}
