import HostwatchCore
import Synchronization

/// A sink in memory: records what it was given, and fails while `failure` is set (or for the
/// next `failNext` calls), for tests of the outbox.
public final class InMemoryTicketSink: TicketSink {
    public struct Call: Sendable, Hashable {
        public var event: TicketEvent
        public var known: ExternalReference?
    }

    private struct State {
        var calls: [Call] = []
        var delivered: [TicketEvent] = []
        var failure: TicketSinkError?
        var failNext = 0
        var references: [String: String] = [:]
        var next = 100
    }

    private let state = Mutex(State())

    public init() {}

    /// Every call, failed or not, in order.
    public var calls: [Call] { state.withLock { $0.calls } }
    /// The events that were delivered, in order.
    public var delivered: [TicketEvent] { state.withLock { $0.delivered } }

    /// Makes every call fail with `error` until set to nil.
    public func setFailure(_ error: TicketSinkError?) { state.withLock { $0.failure = error } }
    /// Makes the next `count` calls fail.
    public func failNext(_ count: Int) { state.withLock { $0.failNext = count } }

    /// Delivers, handing out `T-100`, `T-101`, … as references, one per ticket.
    public func deliver(_ event: TicketEvent, known: ExternalReference?) async throws(TicketSinkError) -> ExternalReference {
        let result: Result<ExternalReference, TicketSinkError> = state.withLock { s in
            s.calls.append(Call(event: event, known: known))
            if let failure = s.failure { return .failure(failure) }
            if s.failNext > 0 {
                s.failNext -= 1
                return .failure(.unreachable("scripted failure"))
            }
            s.delivered.append(event)
            if let known { return .success(known) }
            if let existing = s.references[event.ticketID] { return .success(ExternalReference(existing)) }
            let reference = "T-\(s.next)"
            s.next += 1
            s.references[event.ticketID] = reference
            return .success(ExternalReference(reference))
        }
        return try result.get()
    }
}
