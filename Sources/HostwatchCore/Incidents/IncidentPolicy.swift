/// The support policy as data: which severity a failure gets, by category, cause and plan
/// (DESIGN.md §1). A first mapping; the incidents issue makes the table configurable.
public struct IncidentPolicy: Sendable, Hashable {
    /// One row: the severity for free and for +Plus accounts.
    public struct Row: Sendable, Hashable {
        public var free: Severity
        public var plus: Severity
        public init(free: Severity, plus: Severity) {
            self.free = free
            self.plus = plus
        }
    }

    public var rows: [Category: [Cause: Row]]

    public init(rows: [Category: [Cause: Row]] = IncidentPolicy.defaultRows) {
        self.rows = rows
    }

    /// The defaults of DESIGN.md §1.
    public static let defaultRows: [Category: [Cause: Row]] = [
        .serverDown: [.infrastructure: Row(free: .critical, plus: .critical)],
        .siteOffline: [.infrastructure: Row(free: .critical, plus: .critical),
                       .application: Row(free: .warning, plus: .critical)],
        .security: [.infrastructure: Row(free: .critical, plus: .critical),
                    .application: Row(free: .critical, plus: .critical)],
        .emailDown: [.infrastructure: Row(free: .critical, plus: .critical)],
        .dns: [.infrastructure: Row(free: .warning, plus: .warning)],
        .disk: [.infrastructure: Row(free: .warning, plus: .warning)],
        .certificate: [.infrastructure: Row(free: .warning, plus: .warning),
                       .application: Row(free: .warning, plus: .warning)],
    ]

    /// The severity of a failure for an account on `plan`. A severity the check set itself
    /// (a disk over its critical threshold) wins; a missing row is critical, so a gap in the
    /// table never hides an outage.
    public func severity(of failure: CheckFailure, plan: Plan) -> Severity {
        if let fixed = failure.severity { return fixed }
        guard let row = rows[failure.category]?[failure.cause] else { return .critical }
        return plan == .plus ? row.plus : row.free
    }
}
