import FoundationEssentials
import Glibc
import HostwatchCore

/// `checks/discovered/`: the domain files `hostwatch discover --write` generates, one per
/// domain (`DOMAIN.json5`). Only files that start with the generated header are ever replaced
/// or removed here; a hand-written file in `checks/` is never touched.
public struct DiscoveredFolder: Sendable {
    /// The folder's name inside `checks/`.
    public static let name = "discovered"

    public let path: String

    public init(checksDir: String) { path = checksDir + "/" + Self.name }

    /// The generated files there now, by domain (the file name without `.json5`).
    public func existing() -> [String: String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        var files: [String: String] = [:]
        for name in names where name.hasSuffix(".json5") && !name.hasPrefix(".") {
            guard let data = FileManager.default.contents(atPath: path + "/" + name) else { continue }
            let text = String(decoding: data, as: UTF8.self)
            guard text.hasPrefix(DiscoveredDomainFile.header) else { continue }
            files[String(name.dropLast(6))] = text
        }
        return files
    }

    /// Writes one domain's file atomically (temporary file, fsync, rename).
    public func write(domain: String, text: String) throws(DiscoveryWriteError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw DiscoveryWriteError(path: path, reason: "cannot create the folder")
        }
        do {
            try AtomicFile.write(Data(text.utf8), to: file(domain), mode: 0o644)
        } catch {
            throw DiscoveryWriteError(path: file(domain), reason: "\(error)")
        }
    }

    /// Removes one domain's generated file (only if it is one).
    public func remove(domain: String) throws(DiscoveryWriteError) {
        let target = file(domain)
        guard let data = FileManager.default.contents(atPath: target),
              String(decoding: data, as: UTF8.self).hasPrefix(DiscoveredDomainFile.header) else { return }
        guard unlink(target) == 0 else { throw DiscoveryWriteError(path: target, reason: String(cString: strerror(errno))) }
    }

    /// Writes the new and changed files of `outcome` and removes the gone ones; a hand-written
    /// domain gets nothing. Returns how many files were written and every error.
    public func apply(_ outcome: DiscoveryOutcome) -> (written: Int, removed: Int, errors: [DiscoveryWriteError]) {
        var written = 0
        var removed = 0
        var errors: [DiscoveryWriteError] = []
        for entry in outcome.entries where entry.writes {
            do {
                try write(domain: entry.domain.domain, text: entry.file.text)
                written += 1
            } catch {
                errors.append(error)
            }
        }
        for domain in outcome.gone {
            do {
                try remove(domain: domain)
                removed += 1
            } catch {
                errors.append(error)
            }
        }
        return (written, removed, errors)
    }

    func file(_ domain: String) -> String { path + "/" + domain + ".json5" }
}
