import FoundationEssentials
import HostwatchCore

/// Tests name checks by their descriptions (`shop.test/web`), as tickets and the status page do.
extension UptimeHistory {
    public mutating func record(_ description: String, ok: Bool, at time: Date, maxGap: Duration) {
        guard let check = CheckID(description: description) else { preconditionFailure("not a check's description: \(description)") }
        record(check, ok: ok, at: time, maxGap: maxGap)
    }

    /// The record of the check `description` names.
    public func record(of description: String) -> Record? {
        CheckID(description: description).flatMap { records[$0] }
    }
}
