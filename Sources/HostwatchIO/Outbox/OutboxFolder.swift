import FoundationEssentials
import Glibc
import HostwatchCore

/// The durable outbox on disk, `state_dir/outbox/`: one file per ticket event
/// (`HW-42.3.json`, the event with the ticket as of that change) and, once a delivery was
/// tried, a small sidecar with each sink's progress (`HW-42.3.delivery.json`), so the event file,
/// which may hold a megabyte of evidence, is written once. An event is removed when every
/// configured sink has it.
///
/// The store writes an event file under its lock *before* the ticket file it belongs to. A crash
/// between the two leaves an event whose revision is ahead of its ticket: a change that never
/// happened. Such orphans are skipped by delivery and removed under the lock (`discardOrphans`).
public struct OutboxFolder: Sendable {
    /// One sink's progress with one event.
    public struct SinkProgress: Sendable, Codable, Hashable {
        public var attempts = 0
        public var firstFailureAt: Date?
        public var lastAttemptAt: Date?
        public var nextAttemptAt: Date?
        public var lastError: String?
        public var deliveredAt: Date?
        /// Set when the sink does not take this event (the warning ticket about that sink).
        public var skipped: String?

        public init() {}

        public var isDone: Bool { deliveredAt != nil || skipped != nil }

        enum CodingKeys: String, CodingKey {
            case attempts, skipped
            case firstFailureAt = "first_failure_at", lastAttemptAt = "last_attempt_at", nextAttemptAt = "next_attempt_at"
            case lastError = "last_error", deliveredAt = "delivered_at"
        }
    }

    /// The sidecar document: progress by sink name.
    public struct Progress: Sendable, Codable, Hashable {
        public var schema = "hostwatch.delivery/1"
        public var sinks: [String: SinkProgress] = [:]
        public init() {}
    }

    /// An event file found in the folder, without its (possibly large) ticket.
    public struct Entry: Sendable, Hashable, Comparable {
        public let ticketID: String
        public let revision: Int
        /// The ticket's number, read once: sorting a long outbox parsed both ids on every
        /// comparison, most of the agent's CPU while a sink was down with many events waiting.
        private let number: Int
        public var name: String { "\(ticketID).\(revision)" }

        public init(ticketID: String, revision: Int) {
            self.ticketID = ticketID
            self.revision = revision
            number = FileTicketStore.number(ticketID)
        }

        public static func < (a: Entry, b: Entry) -> Bool {
            a.number != b.number ? a.number < b.number : a.revision < b.revision
        }
    }

    public let path: String

    public init(path: String) {
        self.path = path
    }

    func create() throws(TicketStoreError) {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw .io(path: path, message: "cannot create the folder: \(error)")
        }
    }

    /// Every event file, in ticket and revision order.
    public func entries() throws(TicketStoreError) -> [Entry] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            if !FileManager.default.fileExists(atPath: path) { return [] }
            throw .io(path: path, message: "cannot list: \(error)")
        }
        return names.compactMap(Self.entry(named:)).sorted()
    }

    static func entry(named name: String) -> Entry? {
        guard name.hasSuffix(".json"), !name.hasPrefix(".") else { return nil }
        let stem = name.dropLast(5)
        guard let dot = stem.lastIndex(of: "."), let revision = Int(stem[stem.index(after: dot)...]) else { return nil }
        let id = String(stem[..<dot])
        return FileTicketStore.isTicketID(id) ? Entry(ticketID: id, revision: revision) : nil
    }

    /// Writes an event file (crash-safe). Called by the store under its lock.
    func write(_ event: TicketEvent) throws(TicketStoreError) {
        let entry = Entry(ticketID: event.ticketID, revision: event.revision)
        let data: Data
        do { data = try FileTicketStore.encoder.encode(event) } catch { throw .invalidChange("cannot encode event \(event.id): \(error)") }
        // A sidecar left by an orphan of the same name must not claim this new event delivered.
        unlink(progressPath(entry))
        try AtomicFile.write(data, to: eventPath(entry))
    }

    /// The event of an entry, in full; nil when it is gone (delivered meanwhile).
    public func event(_ entry: Entry) throws(TicketStoreError) -> TicketEvent? {
        let file = eventPath(entry)
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        do { return try FileTicketStore.decoder.decode(TicketEvent.self, from: data) } catch {
            throw .corrupt(path: file, message: "\(error)")
        }
    }

    /// The delivery progress of an entry (empty when no delivery was tried yet).
    public func progress(_ entry: Entry) throws(TicketStoreError) -> Progress {
        try JSONStateFile<Progress>(path: progressPath(entry)).load() ?? Progress()
    }

    public func save(_ progress: Progress, for entry: Entry) throws(TicketStoreError) {
        try JSONStateFile<Progress>(path: progressPath(entry)).save(progress)
    }

    /// Removes a delivered event and its progress.
    public func remove(_ entry: Entry) {
        unlink(eventPath(entry))
        unlink(progressPath(entry))
        AtomicFile.syncFolder(path)
    }

    func eventPath(_ entry: Entry) -> String { "\(path)/\(entry.name).json" }
    func progressPath(_ entry: Entry) -> String { "\(path)/\(entry.name).delivery.json" }
}
