import FoundationEssentials
import Glibc
import HostwatchCore
import Synchronization

/// The embedded ticket store (DESIGN.md §5): one JSON file per ticket under
/// `state_dir/tickets/` (resolved tickets past the archive age under `state_dir/archive/`),
/// an append-only index `state_dir/index.log` for fast listing, and `state_dir/lock`, an
/// exclusive `flock` taken for every write by the agent and the CLI alike.
///
/// Crash safety: under the lock a change first appends its index line (fsync), then replaces
/// the ticket file atomically (temporary file, fsync, rename, fsync of the folder). A writer
/// killed at any instant leaves at most the last index line ahead of its ticket file; the next
/// writer (or `repair()`, run when the agent starts) compares that line with the file and
/// appends a correcting line. Ids come from the index and are never reused.
///
/// Every ticket change also writes its outbox event (DESIGN.md §6) under the same lock, before
/// the index line and the ticket file: see `OutboxFolder` for why that order is crash-safe.
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
    let archiveFolder: String
    let indexPath: String
    let lockPath: String
    /// Where the ticket events wait for delivery.
    public let outbox: OutboxFolder

    /// The parsed index and how far into the file it was read, so each call reads only what
    /// other processes appended since.
    private struct Cache {
        /// By ticket number (an Int key hashes far faster than the id string).
        var entries: [Int: TicketSummary] = [:]
        var lastID: String?
        var maxNumber = 0
        var offset: Int64 = 0
        var inode: UInt64 = 0
        var lines = 0
    }

    private let cache = Mutex(Cache())

    /// Opens (creating when needed) the store in `folder`.
    public init(folder: String) throws(TicketStoreError) {
        self.folder = folder
        ticketsFolder = folder + "/tickets"
        archiveFolder = folder + "/archive"
        indexPath = folder + "/index.log"
        lockPath = folder + "/lock"
        outbox = OutboxFolder(path: folder + "/outbox")
        for path in [ticketsFolder, archiveFolder, outbox.path] {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw .io(path: path, message: "cannot create the folder: \(error)")
            }
        }
    }

    // MARK: Writing

    public func open(_ draft: TicketDraft) throws(TicketStoreError) -> Ticket {
        try FileLock.withLock(lockPath) { () throws(TicketStoreError) -> Ticket in
            try repairLocked()
            var number = cache.withLock { $0.maxNumber } + 1
            while fileExists("HW-\(number)") { number += 1 }
            var ticket = Ticket(id: "HW-\(number)", draft: draft)
            ticket.related = try related(to: draft, excluding: ticket.id)
            ticket.revision = 1
            try outbox.write(TicketEvent(kind: .opened, at: ticket.openedAt, ticket: ticket, steps: ticket.steps))
            try commit(ticket)
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
            try repairLocked()
            guard var ticket = try ticket(id: id) else { throw .unknownTicket(id) }
            let before = ticket
            try change(&ticket)
            guard ticket != before else { return ticket }
            ticket.revision = before.revision + 1
            let kind: TicketEvent.Kind?
            switch event {
            case .derived, .none: kind = nil
            case .kind(let k): kind = k
            }
            if case .none = event {} else if let made = TicketEvent.describe(from: before, to: ticket, kind: kind, at: ticket.updatedAt) {
                try outbox.write(made)
            }
            try commit(ticket)
            return ticket
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

    /// Appends the index line, then replaces the ticket file.
    private func commit(_ ticket: Ticket) throws(TicketStoreError) {
        let archived = cache.withLock { $0.entries[Self.number(ticket.id)]?.archived ?? false }
        var summary = TicketSummary(ticket)
        summary.archived = archived
        try appendIndex(TicketIndexLine.format(summary))
        try write(ticket, to: archived ? archiveFolder : ticketsFolder)
    }

    /// Moves resolved tickets older than `age` to the archive. They stay readable by id and
    /// found by `related`; nothing is ever deleted.
    @discardableResult
    public func archive(resolvedBefore cutoff: Date) throws(TicketStoreError) -> Int {
        try FileLock.withLock(lockPath) { () throws(TicketStoreError) -> Int in
            try repairLocked()
            let due = cache.withLock { $0.entries.values.filter { !$0.archived && $0.status == .resolved && ($0.resolvedAt ?? .distantFuture) < cutoff } }
            for var summary in due.sorted(by: { $0.number < $1.number }) {
                summary.archived = true
                try appendIndex(TicketIndexLine.format(summary))
                let from = "\(ticketsFolder)/\(summary.id).json"
                let to = "\(archiveFolder)/\(summary.id).json"
                guard rename(from, to) == 0 else { throw .io(path: from, message: AtomicFile.errnoText()) }
            }
            if !due.isEmpty {
                AtomicFile.syncFolder(archiveFolder)
                AtomicFile.syncFolder(ticketsFolder)
            }
            return due.count
        }
    }

    // MARK: Reading

    public func ticket(id: String) throws(TicketStoreError) -> Ticket? {
        guard Self.isTicketID(id) else { return nil }
        for folder in [ticketsFolder, archiveFolder] {
            let path = "\(folder)/\(id).json"
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            do {
                return try Self.decoder.decode(Ticket.self, from: data)
            } catch {
                throw .corrupt(path: path, message: "\(error)")
            }
        }
        return nil
    }

    /// Summaries of the tickets not archived, newest first.
    public func list() throws(TicketStoreError) -> [TicketSummary] {
        try list(includingArchive: false)
    }

    /// Summaries matching `filter`, newest first; with `includingArchive`, the archived ones too.
    public func list(includingArchive: Bool, where filter: (TicketSummary) -> Bool = { _ in true }) throws(TicketStoreError) -> [TicketSummary] {
        if !FileManager.default.fileExists(atPath: indexPath) { try rebuildIndex() }
        try refreshCache()
        return cache.withLock { cache in
            // Filter first and sort the numbers, not the summaries: moving large structs is what costs.
            let numbers = cache.entries.compactMap { number, summary in
                (includingArchive || !summary.archived) && filter(summary) ? number : nil
            }
            return numbers.sorted(by: >).map { cache.entries[$0]! }
        }
    }

    // MARK: The index

    /// Checks the last index line against its ticket file and corrects it (a writer killed
    /// between the two); rebuilds a missing index. The agent runs this when it starts.
    public func repair() throws(TicketStoreError) {
        try FileLock.withLock(lockPath) { () throws(TicketStoreError) in try repairLocked() }
    }

    private func repairLocked() throws(TicketStoreError) {
        if !FileManager.default.fileExists(atPath: indexPath) {
            try rebuildLocked()
            return
        }
        try refreshCache()
        let (lastID, entry): (String?, TicketSummary?) = cache.withLock { cache in
            (cache.lastID, cache.lastID.flatMap { cache.entries[Self.number($0)] })
        }
        guard let lastID else { return }
        let onDisk = try ticket(id: lastID)
        switch (entry, onDisk) {
        case (let entry?, nil):
            // Killed between the index line of a new ticket and its file: the outbox event
            // written first holds the whole ticket, so the opening is completed, not undone (a
            // rolled-back opening after the outage ended would leave the incident with no ticket).
            let event = try? outbox.event(OutboxFolder.Entry(ticketID: lastID, revision: 1))
            if let event = event ?? nil, event.kind == .opened, TicketSummary(event.ticket) == entry {
                try write(event.ticket, to: entry.archived ? archiveFolder : ticketsFolder)
            } else {
                try appendIndex(TicketIndexLine.tombstoneLine(id: lastID))
            }
        case (nil, nil):
            return
        case (let entry, let ticket?):
            var summary = TicketSummary(ticket)
            summary.archived = fileIn(archiveFolder, lastID)
            guard entry != summary else { break }
            // Killed between the index line of a change and the file: when the change made an
            // outbox event (written first, with the whole changed ticket), the change is
            // completed, not undone — `tickets list` showed it, and a resolution rolled back
            // after the outage ended would keep the incident open into the next one (issue 15's
            // kill test, 200 kills). A change without an event (a sink's reference) is undone.
            let next = try? outbox.event(OutboxFolder.Entry(ticketID: lastID, revision: ticket.revision + 1))
            if let entry, let event = next ?? nil, event.ticket.revision == ticket.revision + 1 {
                var completed = TicketSummary(event.ticket)
                completed.archived = entry.archived
                if completed == entry {
                    try write(event.ticket, to: entry.archived ? archiveFolder : ticketsFolder)
                    break
                }
            }
            try appendIndex(TicketIndexLine.format(summary))
        }
        try compactIfLarge()
    }

    /// Rebuilds the index from the ticket files (both folders), under the lock.
    public func rebuildIndex() throws(TicketStoreError) {
        try FileLock.withLock(lockPath) { () throws(TicketStoreError) in try rebuildLocked() }
    }

    private func rebuildLocked() throws(TicketStoreError) {
        var text = ""
        for (folder, archived) in [(ticketsFolder, false), (archiveFolder, true)] {
            for id in try ids(in: folder).sorted(by: { Self.number($0) < Self.number($1) }) {
                guard let ticket = try ticket(id: id) else { continue }
                var summary = TicketSummary(ticket)
                summary.archived = archived
                text += TicketIndexLine.format(summary)
            }
        }
        try AtomicFile.write(Data(text.utf8), to: indexPath)
        cache.withLock { $0 = Cache() }
        try refreshCache()
    }

    /// Rewrites the index with one line per ticket when it has grown past twice that.
    private func compactIfLarge() throws(TicketStoreError) {
        let (lines, entries) = cache.withLock { ($0.lines, $0.entries) }
        guard lines > 2 * entries.count + 1000 else { return }
        let text = entries.values.sorted { $0.number < $1.number }.map(TicketIndexLine.format).joined()
        try AtomicFile.write(Data(text.utf8), to: indexPath)
        cache.withLock { $0 = Cache() }
        try refreshCache()
    }

    private func appendIndex(_ line: String) throws(TicketStoreError) {
        let fd = Glibc.open(indexPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw .io(path: indexPath, message: AtomicFile.errnoText()) }
        defer { close(fd) }
        var bytes = Array(line.utf8)
        let written = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else { throw .io(path: indexPath, message: AtomicFile.errnoText()) }
        try refreshCache()
    }

    /// Reads what was appended to the index since the last read (all of it after a compaction).
    private func refreshCache() throws(TicketStoreError) {
        let fd = Glibc.open(indexPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return }
            throw .io(path: indexPath, message: AtomicFile.errnoText())
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io(path: indexPath, message: AtomicFile.errnoText()) }
        let inode = UInt64(info.st_ino)
        let size = Int64(info.st_size)
        try cache.withLock { (cache) throws(TicketStoreError) in
            if cache.inode != inode || size < cache.offset { cache = Cache(inode: inode) }
            guard size > cache.offset else { return }
            let count = Int(size - cache.offset)
            var buffer = [UInt8](repeating: 0, count: count)
            let read = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(cache.offset)) }
            guard read == count else { throw .io(path: indexPath, message: "short read") }
            // Only whole lines: a line still being appended is read next time.
            guard let lastNewline = buffer.lastIndex(of: 10) else { return }
            if cache.entries.isEmpty { cache.entries.reserveCapacity(count / 120) }
            buffer.withUnsafeBytes { raw in
                var start = 0
                for i in 0...lastNewline where raw[i] == 10 {
                    defer { start = i + 1 }
                    guard i > start, let (id, summary) = TicketIndexLine.parse(UnsafeRawBufferPointer(rebasing: raw[start..<i])) else { continue }
                    let number = Self.number(id)
                    cache.entries[number] = summary
                    cache.lastID = id
                    cache.maxNumber = max(cache.maxNumber, number)
                    cache.lines += 1
                }
            }
            cache.offset += Int64(lastNewline + 1)
        }
    }

    // MARK: History

    /// Earlier tickets of the last 90 days for the same domains or accounts, newest first (at
    /// most 10), plus those the draft names itself.
    private func related(to draft: TicketDraft, excluding id: String) throws(TicketStoreError) -> [Ticket.Related] {
        let since = draft.openedAt.addingTimeInterval(-90 * 86_400)
        let domains = Set(draft.domains.map { $0.lowercased() })
        let accounts = Set(draft.accounts.map(\.name))
        let named = Set(draft.relatedIDs)
        let matches = cache.withLock { cache in
            cache.entries.values.filter { s in
                s.id != id && (named.contains(s.id) || (s.openedAt >= since
                    && (s.domains.contains { domains.contains($0.lowercased()) } || s.accounts.contains { accounts.contains($0) })))
            }
        }
        return matches.sorted { $0.number > $1.number }.prefix(10).map {
            Ticket.Related(id: $0.id, subject: $0.subject, openedAt: $0.openedAt, resolvedAt: $0.resolvedAt, solution: $0.solution)
        }
    }

    // MARK: Files

    static func isTicketID(_ id: String) -> Bool {
        id.hasPrefix("HW-") && id.count > 3 && id.count < 24 && id.dropFirst(3).allSatisfy { $0.isASCII && $0.isNumber }
    }

    static func number(_ id: String) -> Int { Int(id.dropFirst(3)) ?? 0 }

    private func fileExists(_ id: String) -> Bool {
        fileIn(ticketsFolder, id) || fileIn(archiveFolder, id)
    }

    private func fileIn(_ folder: String, _ id: String) -> Bool {
        access("\(folder)/\(id).json", F_OK) == 0
    }

    private func ids(in folder: String) throws(TicketStoreError) -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw .io(path: folder, message: "cannot list: \(error)")
        }
        return names.compactMap { name in
            guard name.hasSuffix(".json") else { return nil }
            let id = String(name.dropLast(5))
            return Self.isTicketID(id) ? id : nil
        }
    }

    private func write(_ ticket: Ticket, to folder: String) throws(TicketStoreError) {
        let data: Data
        do { data = try Self.encoder.encode(ticket) } catch { throw .invalidChange("cannot encode \(ticket.id): \(error)") }
        try AtomicFile.write(data, to: "\(folder)/\(ticket.id).json")
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
