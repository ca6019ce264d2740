import FoundationEssentials
import HostwatchCore

/// Request Tracker through its REST 2 API (`/REST/2.0`), authenticated with
/// `Authorization: token …` from `token_file`.
///
/// - opened: create in the queue with Subject, Content, Priority (severity, plus the +Plus
///   bonus), Requestor, the custom fields Fingerprint/Domain/Severity (names configurable) and the
///   evidence as attachments.
/// - updated, acknowledged: a comment (internal, not mailed to requestors) with the new steps
///   and any evidence the change attached.
/// - resolved / reopened: a comment, then the status (`resolve_status` / `reopen_status`).
///
/// Idempotent: without a known reference, the active tickets are searched for
/// `CF.{Fingerprint} = key` and a subject starting with the hostwatch ticket's id before anything
/// is created, so a crash between RT's answer and the recording of its number finds that ticket
/// again (the id too: the next incident of the same key, opened before the last one's resolution
/// reached RT, is a ticket of its own). Each comment carries the event's id as its subject
/// (`HW-9/4 resolved`) and is skipped when the ticket already has it, so a retry after a crash
/// between RT's answer and the recording of the delivery does not comment twice (issue 15's kill
/// test). RT answers 2xx even when it ignored a custom field or a status, so every write is read
/// back; a mismatch is an `incomplete` failure that keeps the number (the retry repairs that
/// ticket).
public struct RTTicketSink: TicketSink {
    let configuration: RTSinkConfiguration
    let client: SinkHTTPClient

    public init(_ configuration: RTSinkConfiguration, loop: CurlMultiLoop) {
        self.configuration = configuration
        client = SinkHTTPClient(loop: loop)
    }

    var api: String { configuration.url + "/REST/2.0" }

    public func deliver(_ event: TicketEvent, known: ExternalReference?) async throws(TicketSinkError) -> ExternalReference {
        let token = try SinkSecret.read(configuration.token ?? SecretReference(value: "", configFolder: "/", file: "", position: nil, keyPath: "token_file"))
        let session = Session(sink: self, token: token)
        var number = known?.value
        if number == nil { number = try await session.findActive(key: event.ticket.key, ticketID: event.ticketID) }
        var created = false
        if number == nil {
            number = try await session.create(event)
            created = true
        }
        guard let number else { throw .rejected("RT gave no ticket number") }
        let reference = ExternalReference(number)
        if !created {
            switch event.kind {
            case .opened:
                break
            case .updated, .acknowledged:
                try await session.comment(number, event)
            case .resolved:
                try await session.comment(number, event)
                try await session.setStatus(number, configuration.resolveStatus, reference)
            case .reopened:
                try await session.comment(number, event)
                try await session.setStatus(number, configuration.reopenStatus, reference)
            }
        } else if event.kind == .resolved {
            // The first thing RT hears of this ticket is its end: record it, then close it.
            try await session.setStatus(number, configuration.resolveStatus, reference)
        }
        try await session.verify(number, event: event, reference: reference)
        return reference
    }

    func expectedFields(_ ticket: Ticket) -> [String: String] {
        [configuration.customFields.fingerprint: ticket.key,
         configuration.customFields.domain: ticket.domains.joined(separator: ", "),
         configuration.customFields.severity: ticket.severity.rawValue]
    }

    func priority(_ ticket: Ticket) -> Int {
        let base = ticket.severity == .critical ? configuration.priorities.critical : configuration.priorities.warning
        return min(99, base + (ticket.accounts.contains { $0.plan == .plus } ? configuration.priorities.plus : 0))
    }

    /// The requests of one delivery, with the token.
    struct Session {
        let sink: RTTicketSink
        let token: String

        func request(_ method: String, _ path: String, json: (any Encodable)? = nil) async throws(TicketSinkError) -> SinkHTTPClient.Response {
            var body: [UInt8]?
            if let json {
                do { body = Array(try JSONEncoder().encode(json)) } catch { throw .misconfigured("cannot encode the request: \(error)") }
            }
            var headers = ["Authorization: token \(token)", "Accept: application/json"]
            if body != nil { headers.append("Content-Type: application/json") }
            let response = await sink.client.send(.init(method: method, url: sink.api + path, headers: headers, body: body,
                                                        timeout: sink.configuration.timeout, caFile: sink.configuration.caFile,
                                                        connectAddress: sink.configuration.address))
            if let error = response.error { throw .unreachable(error.description) }
            guard (200..<300).contains(response.status) else {
                var text = "\(method) \(path.prefix { $0 != "?" }): HTTP \(response.status)"
                if response.status == 401 { text += " (the token was refused)" }
                if let message = RTMessage.decode(response.body) { text += ": \(message)" } else if !response.body.isEmpty { text += ": \(response.bodyExcerpt)" }
                throw .rejected(text)
            }
            return response
        }

        func decode<T: Decodable>(_ type: T.Type, _ response: SinkHTTPClient.Response, _ what: String) throws(TicketSinkError) -> T {
            do { return try JSONDecoder().decode(type, from: Data(response.body)) } catch {
                throw .rejected("\(what): RT answered something that is not the expected JSON: \(response.bodyExcerpt)")
            }
        }

        /// The newest active ticket with this fingerprint made for this hostwatch ticket (its
        /// subject starts `HW-9: `, or `HW-9 resolved: ` when the first event RT heard was the end).
        func findActive(key: String, ticketID: String) async throws(TicketSinkError) -> String? {
            let field = sink.configuration.customFields.fingerprint
            let id = Self.quoted(ticketID)
            let query = "CF.{\(field)} = '\(Self.quoted(key))' AND Status = '__Active__'"
                + " AND (Subject STARTSWITH '\(id): ' OR Subject STARTSWITH '\(id) ')"
            let response = try await request("GET", "/tickets?query=\(PercentEncoding.query(query))&orderby=id&order=DESC&fields=Status")
            return try decode(RTSearch.self, response, "search").items.first?.id.value
        }

        func create(_ event: TicketEvent) async throws(TicketSinkError) -> String {
            let t = event.ticket
            let create = RTCreate(Queue: sink.configuration.queue, Subject: TicketFormat.subject(event), Requestor: sink.configuration.requestor,
                                  Priority: sink.priority(t), Content: TicketFormat.body(event), ContentType: "text/plain",
                                  CustomFields: sink.expectedFields(t),
                                  Attachments: Self.attachments(t.attachments))
            let response = try await request("POST", "/ticket", json: create)
            let id = try decode(RTCreated.self, response, "create").id.value
            guard !id.isEmpty, id.allSatisfy(\.isNumber) else { throw .rejected("create: RT answered no ticket number") }
            return id
        }

        /// Comments the event once: its subject is the event's id, and a comment with that
        /// subject already on the ticket (an earlier attempt RT took before a crash) is not repeated.
        func comment(_ number: String, _ event: TicketEvent) async throws(TicketSinkError) {
            let subject = "\(event.id) \(event.kind.rawValue)"
            let search = [RTFilter(field: "Subject", value: subject)]
            let found = try await request("POST", "/ticket/\(number)/attachments?fields=Subject&per_page=1", json: search)
            guard try decode(RTSearch.self, found, "comment search").items.isEmpty else { return }
            _ = try await request("POST", "/ticket/\(number)/comment",
                                  json: RTComment(Subject: subject, Content: TicketFormat.body(event), ContentType: "text/plain",
                                                  Attachments: event.attachments.isEmpty ? nil : Self.attachments(event.attachments)))
        }

        static func attachments(_ list: [Ticket.Attachment]) -> [RTCreate.Attachment] {
            list.map { RTCreate.Attachment(FileName: $0.name, FileType: $0.mediaType, FileContent: Data($0.content.utf8).base64EncodedString()) }
        }

        func setStatus(_ number: String, _ status: String, _ reference: ExternalReference) async throws(TicketSinkError) {
            do {
                _ = try await request("PUT", "/ticket/\(number)", json: ["Status": status])
            } catch .rejected(let text) {
                throw .incomplete(reference, text)
            }
        }

        /// Reads the ticket back: custom fields as sent (repaired once with a PUT when RT
        /// dropped them), the status the event implies.
        func verify(_ number: String, event: TicketEvent, reference: ExternalReference) async throws(TicketSinkError) {
            var read = try await readBack(number)
            let expected = sink.expectedFields(event.ticket)
            var wrong = mismatches(read, expected)
            if !wrong.isEmpty {
                do {
                    _ = try await request("PUT", "/ticket/\(number)", json: ["CustomFields": expected])
                } catch {
                    throw .incomplete(reference, "custom fields not set (\(wrong.joined(separator: "; "))) and the repair failed: \(error)")
                }
                read = try await readBack(number)
                wrong = mismatches(read, expected)
                if !wrong.isEmpty {
                    throw .incomplete(reference, "RT ignored custom fields: \(wrong.joined(separator: "; ")) (do they exist and apply to queue \(sink.configuration.queue)?)")
                }
            }
            let status: String? = switch event.kind {
            case .resolved: sink.configuration.resolveStatus
            case .reopened: sink.configuration.reopenStatus
            default: nil
            }
            if let status, read.Status != status {
                throw .incomplete(reference, "status is \"\(read.Status ?? "?")\", not \"\(status)\" (is it a status of the queue's lifecycle?)")
            }
        }

        func readBack(_ number: String) async throws(TicketSinkError) -> RTTicket {
            try decode(RTTicket.self, try await request("GET", "/ticket/\(number)"), "read back")
        }

        func mismatches(_ ticket: RTTicket, _ expected: [String: String]) -> [String] {
            expected.sorted { $0.key < $1.key }.compactMap { name, value in
                guard let field = ticket.CustomFields?.first(where: { $0.name == name }) else { return "\(name) does not exist on the ticket" }
                let values = field.values ?? []
                return values == [value] ? nil : "\(name) is \(values.isEmpty ? "empty" : "\"\(values.joined(separator: ", "))\""), not \"\(value)\""
            }
        }

        /// TicketSQL string quoting: backslash and single quote escaped.
        static func quoted(_ text: String) -> String {
            text.replacing("\\", with: "\\\\").replacing("'", with: "\\'")
        }
    }
}

// RT's JSON, as far as hostwatch reads or writes it.

struct RTCreate: Encodable {
    struct Attachment: Encodable {
        var FileName: String
        var FileType: String
        var FileContent: String
    }

    var Queue: String
    var Subject: String
    var Requestor: String?
    var Priority: Int
    var Content: String
    var ContentType: String
    var CustomFields: [String: String]
    var Attachments: [Attachment]
}

struct RTComment: Encodable {
    var Subject: String
    var Content: String
    var ContentType: String
    var Attachments: [RTCreate.Attachment]?
}

/// One condition of a REST 2 JSON search (`POST /…/attachments`).
struct RTFilter: Encodable {
    var field: String
    var value: String
}

/// An id RT sends as a string in some answers and as a number in others.
struct RTID: Decodable {
    var value: String
    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let text = try? c.decode(String.self) { value = text } else { value = String(try c.decode(Int.self)) }
    }
}

struct RTCreated: Decodable {
    var id: RTID
}

struct RTSearch: Decodable {
    struct Item: Decodable { var id: RTID }
    var items: [Item]
}

struct RTTicket: Decodable {
    struct Field: Decodable {
        var name: String
        var values: [String]?
    }

    var Status: String?
    var Subject: String?
    var CustomFields: [Field]?
}

/// RT's error body: `{"message": "…"}`.
enum RTMessage {
    static func decode(_ body: [UInt8]) -> String? {
        struct Message: Decodable { var message: String }
        return (try? JSONDecoder().decode(Message.self, from: Data(body)))?.message
    }
}

/// Percent-encoding for URL query values (RFC 3986 unreserved characters pass).
enum PercentEncoding {
    static func query(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
            }
        }
        return out
    }
}
