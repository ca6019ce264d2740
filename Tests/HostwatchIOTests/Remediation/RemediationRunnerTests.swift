import FoundationEssentials
import Testing
@testable import HostwatchCore
@testable import HostwatchIO

/// Real commands, run as a remediation runs them: argv without a shell, killed at the timeout.
@Suite struct RemediationRunnerTests {
    func rule(_ argv: [String], timeout: Duration = .seconds(10)) -> RemediationRule {
        var rule = RemediationRule(name: "remediation[0]", match: .init(key: "k"), run: argv)
        rule.timeout = timeout
        return rule
    }

    @Test func aCommandThatWorksIsRecordedWithItsOutput() async {
        let outcome = await RemediationRunner.run(rule(["sh", "-c", "echo restarted php8.2-fpm; echo second line"]), redactor: Redactor(secrets: []))
        #expect(outcome.succeeded)
        #expect(outcome.step.hasPrefix("remediation[0]: ran `sh -c echo restarted php8.2-fpm; echo second line`: exit 0 after"), "\(outcome.step)")
        #expect(outcome.step.contains("output:\nrestarted php8.2-fpm\nsecond line"), "\(outcome.step)")
        #expect(!outcome.step.contains("Not retried"))
    }

    @Test func aHangingCommandIsKilledAtItsTimeoutAndSaysSo() async {
        let outcome = await RemediationRunner.run(rule(["sleep", "30"], timeout: .seconds(1)), redactor: Redactor(secrets: []))
        #expect(!outcome.succeeded)
        #expect(outcome.status == nil)
        #expect(outcome.seconds < 10, "killed at the timeout, not after the command's 30 s")
        #expect(outcome.step.contains("killed after 1s (its timeout): no exit"), "\(outcome.step)")
        #expect(outcome.step.contains("Not retried: the incident stays open for a person."))
    }

    @Test func aCommandThatCannotStartOrFailsSaysWhy() async {
        let missing = await RemediationRunner.run(rule(["/nonexistent/restart-it"]), redactor: Redactor(secrets: []))
        #expect(!missing.succeeded)
        #expect(missing.step.contains("could not start"), "\(missing.step)")
        let failing = await RemediationRunner.run(rule(["sh", "-c", "echo token=s3cr3t-value; exit 4"]), redactor: Redactor(secrets: ["s3cr3t-value"]))
        #expect(failing.status == 4)
        #expect(failing.step.contains("failed with exit status 4"))
        #expect(!failing.step.contains("s3cr3t-value"), "\(failing.step)")
    }

    @Test func longOutputKeepsItsFirstLines() async {
        let outcome = await RemediationRunner.run(rule(["sh", "-c", "seq 1 50"]), redactor: Redactor(secrets: []))
        #expect(outcome.step.contains("\n1\n2\n"))
        #expect(outcome.step.contains("[40 more lines]"), "\(outcome.step)")
        #expect(!outcome.step.contains("\n11\n"))
    }
}
