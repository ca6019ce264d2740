import FoundationEssentials
import Glibc
import HostwatchCore

/// Writes a rendered `StatusPage` into its folder: `index.html` and `d/DOMAIN.html`, each
/// atomically (a temporary file renamed over the old one, so the web server never serves half a
/// page), only the files whose content changed since the last write (the time written aside),
/// and removes the pages of domains no longer shown. Files are 0644 and folders 0755: the web
/// server's user reads them. Not thread-safe: one caller (a queue) owns it.
public final class StatusPageWriter {
    public let folder: String
    /// What each file last showed, without its time: unchanged values are not written again.
    private var writtenKeys: [String: DomainKey] = [:]
    private var lastIndex: StatusPage?

    public init(folder: String) {
        self.folder = folder
    }

    /// Writes what changed; returns how many files were written.
    @discardableResult
    public func write(_ page: StatusPage, at now: Date) throws(TicketStoreError) -> Int {
        try Self.makeFolder(folder)
        try Self.makeFolder(folder + "/d")
        var count = 0
        var current: Set<String> = []
        for domain in page.domains {
            let name = StatusPage.fileName(of: domain.name)
            current.insert(name)
            // A domain page also shows the incidents that name it.
            let key = DomainKey(domain: domain, incidents: page.incidents.filter { $0.domains.contains(domain.name) })
            if writtenKeys[name] == key, FileManager.default.fileExists(atPath: folder + "/" + name) { continue }
            try Self.write(StatusPageHTML.domain(domain, of: page, writtenAt: now), to: folder + "/" + name)
            writtenKeys[name] = key
            count += 1
        }
        for gone in Set(writtenKeys.keys).subtracting(current) {
            unlink(folder + "/" + gone)
            writtenKeys[gone] = nil
        }
        if lastIndex != page || !FileManager.default.fileExists(atPath: folder + "/index.html") {
            try Self.write(StatusPageHTML.index(page, writtenAt: now), to: folder + "/index.html")
            lastIndex = page
            count += 1
        }
        return count
    }

    private struct DomainKey: Hashable {
        var domain: StatusPage.Domain
        var incidents: [StatusPage.Incident]
    }

    static func makeFolder(_ path: String) throws(TicketStoreError) {
        if mkdir(path, 0o755) != 0, errno != EEXIST { throw .io(path: path, message: AtomicFile.errnoText()) }
    }

    /// Temporary file and rename, without fsync (see `AtomicFile.write(durable:)`).
    static func write(_ text: String, to path: String) throws(TicketStoreError) {
        try AtomicFile.write(Data(text.utf8), to: path, mode: 0o644, durable: false)
    }
}
