import FoundationEssentials

/// Storms (DESIGN.md §4): every endpoint of a server failing is one server-down incident, and
/// more than `stormMaxTickets` critical tickets within `stormWithin` go into one mass-outage
/// ticket instead of paging once each.
extension IncidentTracker {
    mutating func absorbIntoMassOutage(_ key: String, at now: Date) -> [IncidentAction] {
        let massKey = "mass:\(server.name)"
        state.incidents[key]?.parent = massKey
        if var mass = state.incidents[massKey] {
            mass.children.append(key)
            // Gathered into the tick's one step, like joins.
            mass.pending.append("joined: \(state.incidents[key].map(title) ?? key)")
            state.incidents[massKey] = mass
            return []
        }
        var mass = Incident(key: massKey, scope: .mass, since: state.incidents[key]?.since ?? now)
        mass.children = [key]
        mass.lastFailure = state.incidents[key]?.lastFailure
        mass.transcript = state.incidents[key]?.transcript ?? ""
        mass.ticketed = true
        mass.openedAt = now
        mass.severity = severity(of: mass)
        state.incidents[massKey] = mass
        state.storm.opened(at: now)
        let step = Ticket.Step(at: now, text: "more than \(settings.stormMaxTickets) tickets within \(DurationText.format(settings.stormWithin)): new incidents are collected here")
        var draft = draft(for: state.incidents[massKey]!, at: now)
        draft.steps.append(step)
        return [.open(draft)]
    }

    /// When every local endpoint (two or more) has a failing endpoint incident, one server-down
    /// incident absorbs them. The first endpoint ticket already open becomes its ticket; other
    /// open endpoint tickets are resolved as merged into it.
    mutating func formServerDownIfAllEndpointsFail(host: String, at now: Date) -> [IncidentAction]? {
        let serverKey = "server:\(serverName(host))"
        let local = Set(endpoints(of: host))
        guard local.count >= 2 else { return nil }
        if var existing = state.incidents[serverKey] {
            // Already down: a newly failing endpoint joins it.
            var actions: [IncidentAction] = []
            for endpoint in local.sorted() {
                let key = "endpoint:\(endpoint)"
                guard var child = state.incidents[key], child.parent == nil, !existing.children.contains(key) else { continue }
                child.parent = serverKey
                state.incidents[key] = child
                existing.children.append(key)
                state.incidents[serverKey] = existing
                actions += note(serverKey, Ticket.Step(at: now, text: "\(endpoint) failing too"), contentChanged: true)
            }
            return actions.isEmpty ? nil : actions
        }
        let keys = local.sorted().map { "endpoint:\($0)" }
        guard keys.allSatisfy({ state.incidents[$0].map { !$0.members.isEmpty && $0.parent == nil } ?? false }) else { return nil }
        let first = keys.compactMap { state.incidents[$0] }.min { $0.since < $1.since }!
        var incident = Incident(key: serverKey, scope: .server(host: host), since: first.since)
        incident.children = keys
        incident.lastFailure = first.lastFailure
        incident.transcript = first.transcript
        incident.attempts = first.attempts
        state.incidents[serverKey] = incident
        for key in keys { state.incidents[key]?.parent = serverKey }
        incident.severity = severity(of: incident)
        state.incidents[serverKey] = incident
        var actions: [IncidentAction] = []
        let ticketed = keys.filter { state.incidents[$0]?.ticketed == true }
        let text = "every endpoint of \(serverName(host)) fails: \(local.sorted().joined(separator: ", "))"
        if let carrier = ticketed.first {
            state.incidents[serverKey]?.ticketed = true
            let carrierOpened = state.incidents[carrier]?.openedAt ?? now
            state.incidents[serverKey]?.openedAt = carrierOpened
            state.incidents[carrier]?.ticketed = false
            actions.append(.update(key: carrier, step: Ticket.Step(at: now, text: "\(text): this ticket now covers the whole server"),
                                   content: content(of: state.incidents[serverKey]!)))
            for other in ticketed.dropFirst() {
                state.incidents[other]?.ticketed = false
                actions.append(.resolve(key: other, at: now, step: Ticket.Step(at: now, text: "merged into the server-down ticket (\(serverKey))")))
            }
        } else if !isSilenced(state.incidents[serverKey]!, at: now) {
            actions += openTicket(serverKey, at: now)
        }
        return actions
    }
}
