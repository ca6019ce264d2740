import HostwatchCore

/// The dead man's switch: a GET to the configured URL every `every` while the scheduler is
/// healthy, through the shared libcurl loop. When the agent dies, hangs or stalls, the pings
/// stop and the receiving service (healthchecks.io or the like) raises the alarm. Logs name only
/// the URL's scheme, host and port: the path usually holds the check's secret.
public struct HeartbeatSender: Sendable {
    /// How one ping went.
    public enum Outcome: Sendable, Hashable {
        case delivered(status: Int)
        case failed(String)
    }

    public let configuration: AgentConfig.Heartbeat
    public let transport: any HTTPTransport
    public let caFile: String?
    public let logger: Logger
    public let health: @Sendable () async -> Liveness.Verdict

    public init(configuration: AgentConfig.Heartbeat, transport: any HTTPTransport, caFile: String?, logger: Logger,
                health: @escaping @Sendable () async -> Liveness.Verdict) {
        self.configuration = configuration
        self.transport = transport
        self.caFile = caFile
        self.logger = logger
        self.health = health
    }

    /// Pings until the task is cancelled, the first time at once. Logs changes only (the
    /// first ping, a failure, a different failure, the recovery), not every ping.
    public func run() async {
        var last: Outcome?
        var withheld = false
        let target = configuration.target
        while !Task.isCancelled {
            switch await health() {
            case .alive:
                withheld = false
                let outcome = await beat()
                if Task.isCancelled { break }
                switch outcome {
                case .delivered:
                    if last == nil { logger.info("heartbeat.started", ["target": target]) }
                    if case .failed = last { logger.info("heartbeat.recovered", ["target": target]) }
                case .failed(let detail):
                    if last != outcome { logger.warning("heartbeat.failed", ["target": target, "error": detail]) }
                }
                last = outcome
            case .stalled(let quiet):
                if !withheld {
                    logger.error("heartbeat.withheld", ["target": target, "reason": "no check result for \(quiet.wholeSeconds)s"])
                    withheld = true
                }
            }
            try? await Task.sleep(for: configuration.every)
        }
    }

    /// One ping: delivered when the transfer completes with a 2xx status.
    public func beat() async -> Outcome {
        let request = HTTPRequest(url: configuration.url, connectAddress: configuration.address, timeout: configuration.timeout,
                                  caFile: caFile, keepBodyBytes: 0, readBodyBytes: 4096, maxHeaderBytes: 16 * 1024)
        let response = await transport.perform(request)
        if let error = response.error { return .failed(error.detail) }
        guard let status = response.status else { return .failed("no HTTP status") }
        return (200..<300).contains(status) ? .delivered(status: status) : .failed("HTTP \(status)")
    }
}
