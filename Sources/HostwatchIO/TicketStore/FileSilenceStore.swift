import FoundationEssentials
import HostwatchCore

/// Silences set from the command line, kept in `state_dir/silences.json` and changed under the
/// store's lock; the running agent reads the file every few seconds.
public struct FileSilenceStore: Sendable {
    struct Document: Codable {
        var schema = "hostwatch.silences/1"
        var nextID = 1
        var silences: [Silence] = []

        enum CodingKeys: String, CodingKey {
            case schema, silences
            case nextID = "next_id"
        }
    }

    let file: JSONStateFile<Document>
    let lockPath: String

    public init(folder: String) {
        file = JSONStateFile(path: folder + "/silences.json")
        lockPath = folder + "/lock"
    }

    /// Silences not yet over at `now`, in id order.
    public func list(at now: Date) throws(TicketStoreError) -> [Silence] {
        (try file.load()?.silences ?? []).filter { $0.end > now }
    }

    /// Adds a silence and returns it with its id (`S-1`, `S-2`, …). Expired ones are dropped.
    public func add(target: Silence.Target, start: Date, end: Date, reason: String, by: String) throws(TicketStoreError) -> Silence {
        // The CLI may set a silence before the agent ever ran: the state folder may not exist yet.
        let folder = PathText.parent(of: lockPath)
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw .io(path: folder, message: "cannot create the folder: \(error)")
        }
        return try FileLock.withLock(lockPath) { () throws(TicketStoreError) -> Silence in
            var document = try file.load() ?? Document()
            let silence = Silence(id: "S-\(document.nextID)", target: target, start: start, end: end, reason: reason, by: by)
            document.nextID += 1
            document.silences = document.silences.filter { $0.end > start } + [silence]
            try file.save(document)
            return silence
        }
    }

    /// Removes a silence by id; false when there is none.
    public func remove(id: String) throws(TicketStoreError) -> Bool {
        try FileLock.withLock(lockPath) { () throws(TicketStoreError) -> Bool in
            guard var document = try file.load(), document.silences.contains(where: { $0.id == id }) else { return false }
            document.silences.removeAll { $0.id == id }
            try file.save(document)
            return true
        }
    }
}
