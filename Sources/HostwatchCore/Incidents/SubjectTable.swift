/// The tracker's subjects by check, each in 48 bytes instead of 144: a check's timing, endpoint
/// and upstream are numbers into tables of the distinct ones (on a hosting server nearly every
/// check has the defaults' timing, and every site's web check the same endpoint). At 40,000
/// checks the table was 12.6 MB (issue 16's scale run).
struct SubjectTable: Sendable {
    private struct Stored: Sendable {
        var domain: String
        var account: String
        /// Index into `timings`.
        var timing: UInt32
        /// Index plus one into `texts`; 0 for none.
        var endpoint: UInt32
        var upstream: UInt32
        var plan: Plan
        var isLocal: Bool
    }

    /// Distinct values, each numbered the first time it is seen.
    private struct Numbered<Value: Hashable & Sendable>: Sendable {
        private(set) var values: [Value] = []
        private var numbers: [Value: UInt32] = [:]

        mutating func number(of value: Value) -> UInt32 {
            if let known = numbers[value] { return known }
            values.append(value)
            numbers[value] = UInt32(values.count - 1)
            return UInt32(values.count - 1)
        }
    }

    private var stored: [CheckID: Stored] = [:]
    private var timings = Numbered<CheckTiming>()
    private var texts = Numbered<String>()

    init() {}

    subscript(check: CheckID) -> IncidentTracker.Subject? {
        get { stored[check].map(subject) }
        set {
            guard let newValue else { return stored[check] = nil }
            stored[check] = store(newValue)
        }
    }

    var count: Int { stored.count }

    /// The registered checks, in no order.
    var keys: some Collection<CheckID> { stored.keys }

    /// The subjects, in no order.
    var values: some Sequence<IncidentTracker.Subject> { stored.values.lazy.map(subject) }

    /// The checks whose subject satisfies `isIncluded`.
    func checks(where isIncluded: (IncidentTracker.Subject) -> Bool) -> [CheckID] {
        stored.compactMap { isIncluded(subject($0.value)) ? $0.key : nil }
    }

    private func subject(_ stored: Stored) -> IncidentTracker.Subject {
        IncidentTracker.Subject(domain: stored.domain, account: Ticket.Account(name: stored.account, plan: stored.plan),
                                timing: timings.values[Int(stored.timing)], endpoint: text(stored.endpoint), isLocal: stored.isLocal,
                                upstream: text(stored.upstream))
    }

    private mutating func store(_ subject: IncidentTracker.Subject) -> Stored {
        Stored(domain: subject.domain, account: subject.account.name, timing: timings.number(of: subject.timing),
               endpoint: number(of: subject.endpoint), upstream: number(of: subject.upstream),
               plan: subject.account.plan, isLocal: subject.isLocal)
    }

    private func text(_ number: UInt32) -> String? {
        number == 0 ? nil : texts.values[Int(number - 1)]
    }

    /// A text's number plus one; 0 for none.
    private mutating func number(of text: String?) -> UInt32 {
        text.map { texts.number(of: $0) + 1 } ?? 0
    }
}
