/// One entry of `tickets.deliver` (DESIGN.md §8), chosen by its `type`. Each case carries the
/// typed configuration of one sink kind; the agent builds the sink from it.
public enum SinkSpec: Sendable, Hashable {
    case email(EmailSinkConfiguration)
    case rt(RTSinkConfiguration)
    case webhook(WebhookSinkConfiguration)

    /// The sink's name: the key of its reference on tickets and its column in `hostwatch outbox`
    /// (the `name` key, else the type).
    public var name: String {
        switch self {
        case .email(let c): c.name
        case .rt(let c): c.name
        case .webhook(let c): c.name
        }
    }

    public static let types = ["email", "rt", "webhook"]
}

/// A secret named by a `*_file` key: the value as written and the folder it resolves against.
/// Only HostwatchIO reads the file (a bare name is looked up in `$CREDENTIALS_DIRECTORY` first).
public struct SecretReference: Sendable, Hashable {
    public var value: String
    public var configFolder: String
    /// Where the key is, for `validate`'s message when the file is missing.
    public var file: String
    public var position: SourcePosition?
    public var keyPath: String

    public init(value: String, configFolder: String, file: String, position: SourcePosition?, keyPath: String) {
        self.value = value
        self.configFolder = configFolder
        self.file = file
        self.position = position
        self.keyPath = keyPath
    }
}

/// `{ type: "email", … }`: tickets as e-mail to the helpdesk's intake address (critical ones
/// also to `oncall.email`) through an SMTP relay.
public struct EmailSinkConfiguration: Sendable, Hashable {
    public enum TLS: String, Sendable, Hashable, CaseIterable {
        case implicit, starttls, ifOffered = "if-offered", off
    }

    public var name = "email"
    public var to: [String] = []
    /// Critical tickets also go to these (`oncall.email`), as Cc.
    public var oncall: [String] = []
    public var from = ""
    public var replyTo: String?
    /// `smtp://HOST:PORT` or `smtps://HOST:PORT`.
    public var smtp = ""
    /// Connect here instead of resolving the URL's host (which still goes in SNI, the Host
    /// header and certificate verification), as a check's `address` does.
    public var address: String?
    public var tls: TLS = .ifOffered
    public var user: String?
    public var password: SecretReference?
    public var subjectPrefix = "[hostwatch]"
    /// A regular expression for the helpdesk's subject tag (`\[example #(\d+)\]`): the first
    /// match in the ticket's steps (a responder's note) goes into every later subject.
    public var helpdeskTag: String?
    public var timeout: Duration = .seconds(30)
    public var caFile: String?

    public init() {}
}

/// `{ type: "rt", … }`: Request Tracker's REST 2 API.
public struct RTSinkConfiguration: Sendable, Hashable {
    /// The names of the custom fields hostwatch fills in.
    public struct CustomFields: Sendable, Hashable {
        public var fingerprint = "Fingerprint"
        public var domain = "Domain"
        public var severity = "Severity"
        public init() {}
    }

    /// RT priorities (0–99) by severity; `plus` is added for tickets of +Plus accounts.
    public struct Priorities: Sendable, Hashable {
        public var critical = 80
        public var warning = 30
        public var plus = 10
        public init() {}
    }

    public var name = "rt"
    /// The RT base URL (`https://rt.example.net`; `/REST/2.0` is appended).
    public var url = ""
    /// Connect here instead of resolving the URL's host (which still goes in SNI, the Host
    /// header and certificate verification), as a check's `address` does.
    public var address: String?
    public var queue = ""
    public var token: SecretReference?
    public var customFields = CustomFields()
    public var priorities = Priorities()
    public var requestor: String?
    public var resolveStatus = "resolved"
    public var reopenStatus = "open"
    public var timeout: Duration = .seconds(30)
    public var caFile: String?

    public init() {}
}

/// `{ type: "webhook", … }`: a JSON POST per event (`hostwatch.event/1`).
public struct WebhookSinkConfiguration: Sendable, Hashable {
    public var name = "webhook"
    public var url = ""
    /// Connect here instead of resolving the URL's host (which still goes in SNI, the Host
    /// header and certificate verification), as a check's `address` does.
    public var address: String?
    public var token: SecretReference?
    public var timeout: Duration = .seconds(10)
    public var caFile: String?

    public init() {}
}

/// The `tickets` and `oncall` sections: where events go and how hard the outbox tries.
public struct DeliverySettings: Sendable, Hashable {
    public var sinks: [SinkSpec] = []
    public var retry = RetryPolicy()
    public var oncallEmail: [String] = []

    public init() {}
}
