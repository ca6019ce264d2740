import HostwatchCore
import Synchronization

/// A ticket store in memory, for tests of whatever drives a store.
public final class InMemoryTicketStore: TicketStore {
    private let tickets = Mutex<[Ticket]>([])

    public init() {}

    public func open(_ draft: TicketDraft) throws(TicketStoreError) -> Ticket {
        tickets.withLock { tickets in
            let ticket = Ticket(id: "HW-\(tickets.count + 1)", draft: draft)
            tickets.append(ticket)
            return ticket
        }
    }

    public func update(id: String, _ change: @Sendable (inout Ticket) throws(TicketStoreError) -> Void) throws(TicketStoreError) -> Ticket {
        try tickets.withLock { (tickets) throws(TicketStoreError) -> Ticket in
            guard let i = tickets.firstIndex(where: { $0.id == id }) else { throw .unknownTicket(id) }
            try change(&tickets[i])
            return tickets[i]
        }
    }

    public func ticket(id: String) throws(TicketStoreError) -> Ticket? {
        tickets.withLock { $0.first { $0.id == id } }
    }

    public func list() throws(TicketStoreError) -> [TicketSummary] {
        tickets.withLock { $0.reversed().map(TicketSummary.init) }
    }
}
