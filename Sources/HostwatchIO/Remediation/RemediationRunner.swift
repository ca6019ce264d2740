import Dispatch
import FoundationEssentials
import HostwatchCore

/// Runs a remediation command (argv, no shell, the evidence commands' minimal environment, its
/// process group killed at the rule's timeout) on a queue of its own, and words the ticket step
/// that records it: the command, its exit, the first lines of its output.
public enum RemediationRunner {
    public struct Outcome: Sendable {
        /// Exit status; nil when it could not start or was killed at the timeout.
        public var status: Int32?
        public var seconds: Double
        public var step: String
        public var succeeded: Bool { status == 0 }
    }

    private static let queue = DispatchQueue(label: "hostwatch.remediation")
    static let outputLines = 10

    public static func run(_ rule: RemediationRule, redactor: Redactor) async -> Outcome {
        await withCheckedContinuation { continuation in
            queue.async {
                let started = DispatchTime.now().uptimeNanoseconds
                let result = CommandRunner.run(rule.run, timeout: rule.timeout, cap: 4096)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                continuation.resume(returning: outcome(rule, result: result, seconds: seconds, redactor: redactor))
            }
        }
    }

    static func outcome(_ rule: RemediationRule, result: CommandRunner.Result, seconds: Double, redactor: Redactor) -> Outcome {
        // The command too: a token on a command line must not reach the ticket either.
        let command = redactor.redact(rule.run.joined(separator: " "))
        let took = seconds < 10 ? "\((seconds * 10).rounded() / 10) s" : "\(Int(seconds.rounded())) s"
        var text = "\(rule.name): ran `\(command)`: "
        if let failure = result.failedToStart {
            text += "could not start: \(failure)"
        } else if let status = result.status {
            text += status == 0 ? "exit 0 after \(took)" : "failed with exit status \(status) after \(took)"
        } else {
            text += "killed after \(DurationText.format(rule.timeout)) (its timeout): no exit"
        }
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: true)
        if !lines.isEmpty {
            let shown = lines.prefix(outputLines).joined(separator: "\n")
            text += "; output:\n" + redactor.redact(shown)
            if lines.count > outputLines { text += "\n[\(lines.count - outputLines) more lines]" }
        } else if result.failedToStart == nil {
            text += "; no output"
        }
        if result.status != 0 { text += "\nNot retried: the incident stays open for a person." }
        return Outcome(status: result.failedToStart == nil ? result.status : nil, seconds: seconds, step: text)
    }
}
