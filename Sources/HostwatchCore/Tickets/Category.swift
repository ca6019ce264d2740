/// The row of the support policy a problem falls under (DESIGN.md §1).
public enum Category: String, Sendable, Hashable, Codable, CaseIterable {
    case serverDown = "server-down"
    case siteOffline = "site-offline"
    case security
    case emailDown = "email-down"
    case dns
    case disk
    case certificate
    /// hostwatch's own delivery: a helpdesk, relay or webhook that keeps refusing its events.
    case delivery
}

/// Where the fault lies: the hosting infrastructure (always in scope of free support) or the
/// customer's application (a PHP site answering 500; in depth only on +Plus).
public enum Cause: String, Sendable, Hashable, Codable {
    case infrastructure
    case application
}

/// The account's support plan: `free` covers the hosting basics, `plus` adds priority and
/// in-depth investigation.
public enum Plan: String, Sendable, Hashable, Codable {
    case free
    case plus
}
