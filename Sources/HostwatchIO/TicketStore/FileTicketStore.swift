import FoundationEssentials
import HostwatchCore

/// The embedded ticket store: one JSON file per ticket under `state_dir/tickets/`, an index for
/// fast listing that can always be rebuilt from the ticket files, and `state_dir/lock` taken for
/// every write (DESIGN.md §5). Ticket files are the truth; ids are never reused because the next
/// id comes from the ticket files themselves, not from the index.
///
/// Every ticket change also writes its outbox event (DESIGN.md §6) under the same lock, before
/// the ticket file: see `OutboxFolder` for why that order is crash-safe.
public final class FileTicketStore: TicketStore {
    /// Which outbox event a change makes.
    public enum Event: Sendable {
        /// Judged from the change: a new ticket is `opened`, a status change `resolved`,
        /// `acknowledged` or `reopened`, anything else `updated`.
        case derived
        case kind(TicketEvent.Kind)
        /// None: bookkeeping that is no news for a helpdesk (recording its reference).
        case none
    }

    public let folder: String
    let ticketsFolder: String
    let indexPath: String
    let lockPath: String
    /// Where the ticket events wait for delivery.
    public let outbox: OutboxFolder

    /// Opens (creating when needed) the store in `folder`.
    public init(folder: String) throws(TicketStoreError) {
        self.folder = folder
        ticketsFolder = folder + "/tickets"
        indexPath = folder + "/index.json"
        lockPath = folder + "/lock"
        outbox = OutboxFolder(path: folder + "/outbox")
        do {
            try FileManager.default.createDirectory(atPath: ticketsFolder, withIntermediateDirectories: true)
        } catch {
            throw .io(path: ticketsFolder, message: "cannot create the folder: \(error)")
        }
        try outbox.create()
    }

    public func open(_ draft: TicketDraft) throws(TicketStoreError) -> Ticket {
        try FileLock.withLock(lockPath) { () throws(TicketStoreError) -> Ticket in
            let number = (try ticketNumbers().max() ?? 0) + 1
            var ticket = Ticket(id: "HW-\(number)", draft: draft)
            for id in draft.relatedIDs {
                guard let earlier = try? self.ticket(id: id) else { continue }
                ticket.related.append(Ticket.Related(id: earlier.id, subject: earlier.subject, openedAt: earlier.openedAt,
                                                     resolvedAt: earlier.resolvedAt, solution: earlier.solution))
            }
            ticket.revision = 1
            try outbox.write(TicketEvent(kind: .opened, at: ticket.openedAt, ticket: ticket, steps: ticket.steps))
            try write(ticket)
            var index = (try? readIndex()) ?? []
            index.removeAll { $0.id == ticket.id }
            index.append(TicketSummary(ticket))
            try writeIndex(index)
            return ticket
        }
    }

    public func update(id: String, _ change: @Sendable (inout Ticket) throws(TicketStoreError) -> Void) throws(TicketStoreError) -> Ticket {
        try update(id: id, event: .derived, change)
    }

    /// Applies a change to one ticket under the lock, writing the outbox event `event` makes of
    /// it first (none when the change changed nothing).
    public func update(id: String, event: Event, _ change: @Sendable (inout Ticket) throws(TicketStoreError) -> Void) throws(TicketStoreError) -> Ticket {
        try FileLock.withLock(lockPath) { () throws(TicketStoreError) -> Ticket in
            guard let old = try ticket(id: id) else { throw .unknownTicket(id) }
            var ticket = old
            try change(&ticket)
            guard ticket != old else { return old }
            ticket.revision = old.revision + 1
            let kind: TicketEvent.Kind?
            switch event {
            case .derived: kind = nil
            case .kind(let k): kind = k
            case .none: kind = nil
            }
            if case .none = event {} else if let event = TicketEvent.describe(from: old, to: ticket, kind: kind, at: ticket.updatedAt) {
                try outbox.write(event)
            }
            try write(ticket)
            var index = (try? readIndex()) ?? []
            if let i = index.firstIndex(where: { $0.id == id }) { index[i] = TicketSummary(ticket) } else { index.append(TicketSummary(ticket)) }
            try writeIndex(index)
            return ticket
        }
    }

    public func ticket(id: String) throws(TicketStoreError) -> Ticket? {
        guard Self.isTicketID(id) else { return nil }
        let path = "\(ticketsFolder)/\(id).json"
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            return try Self.decoder.decode(Ticket.self, from: data)
        } catch {
            throw .corrupt(path: path, message: "\(error)")
        }
    }

    /// Summaries, newest first. The index is rebuilt from the ticket files when it is missing,
    /// unreadable or does not list every ticket file (a crash between the two writes).
    public func list() throws(TicketStoreError) -> [TicketSummary] {
        let numbers = try ticketNumbers()
        if let index = try? readIndex(), Set(index.map(\.number)) == Set(numbers) {
            return index.sorted { $0.number > $1.number }
        }
        return try rebuildIndex()
    }

    /// Rebuilds the index from the ticket files, under the lock.
    @discardableResult
    public func rebuildIndex() throws(TicketStoreError) -> [TicketSummary] {
        try FileLock.withLock(lockPath) { () throws(TicketStoreError) -> [TicketSummary] in
            var index: [TicketSummary] = []
            for number in try ticketNumbers() {
                if let ticket = try ticket(id: "HW-\(number)") { index.append(TicketSummary(ticket)) }
            }
            try writeIndex(index)
            return index.sorted { $0.number > $1.number }
        }
    }

    /// Removes outbox events for changes that never happened (a crash after the event file was
    /// written and before the ticket file): their revision is ahead of their ticket's. Under the
    /// lock, so no change is in flight. Returns how many were removed.
    @discardableResult
    public func discardOrphanEvents() throws(TicketStoreError) -> Int {
        try FileLock.withLock(lockPath) { () throws(TicketStoreError) -> Int in
            var removed = 0
            var revisions: [String: Int] = [:]
            for entry in try outbox.entries() {
                if revisions[entry.ticketID] == nil { revisions[entry.ticketID] = (try? ticket(id: entry.ticketID))??.revision ?? -1 }
                if entry.revision > revisions[entry.ticketID]! {
                    outbox.remove(entry)
                    removed += 1
                }
            }
            return removed
        }
    }

    /// The number in `HW-42`.
    static func number(of id: String) -> Int { Int(id.dropFirst(3)) ?? 0 }

    static func isTicketID(_ id: String) -> Bool {
        id.hasPrefix("HW-") && id.count > 3 && id.count < 24 && id.dropFirst(3).allSatisfy { $0.isASCII && $0.isNumber }
    }

    private func ticketNumbers() throws(TicketStoreError) -> [Int] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: ticketsFolder)
        } catch {
            throw .io(path: ticketsFolder, message: "cannot list: \(error)")
        }
        return names.compactMap { name in
            guard name.hasSuffix(".json") else { return nil }
            let id = String(name.dropLast(5))
            return Self.isTicketID(id) ? Int(id.dropFirst(3)) : nil
        }
    }

    private func write(_ ticket: Ticket) throws(TicketStoreError) {
        let data: Data
        do { data = try Self.encoder.encode(ticket) } catch { throw .invalidChange("cannot encode \(ticket.id): \(error)") }
        try AtomicFile.write(data, to: "\(ticketsFolder)/\(ticket.id).json")
    }

    private struct Index: Codable {
        var schema = "hostwatch.index/1"
        var tickets: [TicketSummary]
    }

    private func readIndex() throws -> [TicketSummary] {
        guard let data = FileManager.default.contents(atPath: indexPath) else { throw TicketStoreError.io(path: indexPath, message: "missing") }
        return try Self.decoder.decode(Index.self, from: data).tickets
    }

    private func writeIndex(_ tickets: [TicketSummary]) throws(TicketStoreError) {
        let data: Data
        do { data = try Self.encoder.encode(Index(tickets: tickets.sorted { $0.number < $1.number })) } catch {
            throw .invalidChange("cannot encode the index: \(error)")
        }
        try AtomicFile.write(data, to: indexPath)
    }

    /// The one JSON shape of DESIGN.md §5: RFC 3339 UTC times, sorted keys.
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.format(date))
        }
        return encoder
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = RFC3339.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 time: \(text)")
            }
            return date
        }
        return decoder
    }
}
