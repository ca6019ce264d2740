import FoundationEssentials

/// What responders did to a ticket, as the tracker must know it (DESIGN.md §4): an
/// acknowledgement stops reminders; a ticket resolved by hand while its checks still fail stays
/// resolved (no reminder, no step) until they recover, and the next failure after that follows
/// the reopen rule.
extension IncidentTracker {
    /// A responder acknowledged the ticket with this key: no more reminders.
    public mutating func acknowledge(key: String) {
        state.incidents[key]?.acknowledged = true
    }

    /// A responder resolved the ticket of this open incident by hand (the checks may still fail).
    /// Returns whether the tracker took it as news.
    @discardableResult
    public mutating func resolvedByHand(key: String, at now: Date) -> Bool {
        guard var incident = state.incidents[key], incident.ticketed, incident.parent == nil,
              incident.resolvedByHand == nil else { return false }
        incident.resolvedByHand = now
        incident.acknowledged = true
        incident.pending = []
        state.incidents[key] = incident
        return true
    }

    /// Keys of the open incidents that have a ticket the tracker believes open: whose ticket
    /// resolved by hand it must hear of.
    public var ticketedKeys: [String] {
        state.incidents.values.filter { $0.ticketed && $0.parent == nil && $0.resolvedByHand == nil }.map(\.key).sorted()
    }

    /// A reminder step on a critical ticket nobody acknowledged, every `remindEvery` while down.
    mutating func remind(_ key: String, at now: Date) -> [IncidentAction] {
        guard let incident = state.incidents[key], incident.ticketed, incident.parent == nil, !incident.acknowledged,
              incident.resolvedByHand == nil, incident.severity == .critical, let opened = incident.openedAt else { return [] }
        let last = incident.lastReminder ?? opened
        guard now.timeIntervalSince(last) >= settings.remindEvery.timeInterval else { return [] }
        state.incidents[key]?.lastReminder = now
        let down = DurationText.format(.seconds(Int64(now.timeIntervalSince(incident.since))))
        return [.update(key: key, step: Ticket.Step(at: now, text: "reminder: still down after \(down), not acknowledged"), content: nil)]
    }
}

// MARK: Views for the scheduler

extension IncidentTracker {
    /// Every check that is down now, in order (for the log's periodic summary).
    public var checksDown: [CheckID] {
        state.checks.stored.filter { $0.value.debounce.isDown }.map(\.key).sorted()
    }

    /// When a check started failing, and how it fails now, while it fails.
    public func failure(of check: CheckID) -> (since: Date, failure: CheckFailure)? {
        let s = state.checks[check]
        guard let failure = s.lastFailure, let since = s.debounce.failingSince else { return nil }
        return (since, failure)
    }

    /// The open incidents with a ticket a remediation may act on (not resolved by hand, not
    /// absorbed into another), with their ticket's category.
    public var openForRemediation: [RemediationPlanner.OpenIncident] {
        state.incidents.values.compactMap { incident in
            guard incident.ticketed, incident.parent == nil, incident.resolvedByHand == nil, let opened = incident.openedAt else { return nil }
            return RemediationPlanner.OpenIncident(key: incident.key, category: classification(of: incident).category, openedAt: opened)
        }
    }

    /// Whether the incident with this key, opened then, is still open.
    public func isOpen(key: String, openedAt: Date) -> Bool {
        state.incidents[key].map { $0.openedAt == openedAt } ?? false
    }

    /// How many incidents are open (ticketed or not): a change without an action still changes
    /// what `status` shows.
    public var openIncidentCount: Int { state.incidents.count }

    /// Whether an incident with this key is open (a child of another too).
    public func knowsIncident(key: String) -> Bool { state.incidents[key] != nil }

    /// The agent itself resolved this incident's ticket (at `time`) and was killed before its
    /// state said so: the incident ended then. Its checks start afresh, so a failure now is a
    /// new incident (a new ticket, or a reopening within `reopen_within`), never a silent
    /// continuation of the old one (issue 15's kill test).
    public mutating func ticketResolvedBefore(key: String, at time: Date) {
        guard let incident = state.incidents.removeValue(forKey: key) else { return }
        for check in incident.members where state.checks[check].incident == key {
            state.checks[check] = CheckState()
        }
        for child in incident.children { state.incidents[child]?.parent = nil }
        if let parent = incident.parent { state.incidents[parent]?.children.removeAll { $0 == key } }
        state.resolved[key] = time
    }
}
