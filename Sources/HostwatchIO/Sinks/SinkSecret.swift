import HostwatchCore

/// Reads a sink's `*_file` secret at delivery time, so a token file fixed while the agent runs
/// is taken up by the next attempt. Failures name the file, never its content.
enum SinkSecret {
    static func read(_ reference: SecretReference) throws(TicketSinkError) -> String {
        do {
            return try SecretFile.read(reference.value, configFolder: reference.configFolder)
        } catch {
            throw .misconfigured("\(reference.keyPath): \(error.description)")
        }
    }
}
