/// The `plans` map: panel plan names (globs, `"Premium*"`) to hostwatch's plans; a name no glob
/// matches is free. Checked in order, the first match wins.
public struct PlanMap: Sendable, Hashable {
    public var entries: [(glob: String, plan: Plan)]
    public init(_ entries: [(glob: String, plan: Plan)] = []) { self.entries = entries }

    public func plan(for name: String?) -> Plan {
        guard let name else { return .free }
        if let direct = Plan(rawValue: name.lowercased()) { return direct }
        return entries.first { Glob.matches(name, $0.glob) }?.plan ?? .free
    }

    public static func == (a: PlanMap, b: PlanMap) -> Bool {
        a.entries.map(\.glob) == b.entries.map(\.glob) && a.entries.map(\.plan) == b.entries.map(\.plan)
    }

    public func hash(into hasher: inout Hasher) {
        for entry in entries {
            hasher.combine(entry.glob)
            hasher.combine(entry.plan)
        }
    }
}
