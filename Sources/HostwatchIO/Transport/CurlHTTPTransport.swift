import CCurl
import FoundationEssentials
import Glibc
import HostwatchCore

/// HTTP(S) through libcurl on the shared multi loop.
///
/// The URL's host goes in SNI and the Host header while the connection is pinned to the
/// request's address, so no name is ever resolved by the system.
///
/// Connections: with `keepsConnections`, an HTTPS check sends its request on the connection the
/// site's previous check left open (HTTP keep-alive), and opens one when there is none, when the
/// server closed it, and at least every `connectionLifetime`, so a listener that stops
/// accepting while old connections are still served shows within that time. A failed transfer
/// closes its connection, so a failure is always confirmed on a fresh one. Such a transfer is
/// pinned with `CURLOPT_RESOLVE` (see `ConnectionPins`, which also says why a name checked at two
/// addresses is not kept); a certificate's examination opens a new connection, kept after.
/// Without it, and for a name at two addresses, every check connects anew, pinned per transfer
/// with `CURLOPT_CONNECT_TO`.
///
/// HTTPS: a site's certificate is examined on a full handshake (verified, and read through
/// `CURLOPT_CERTINFO`) when `certificates` has no standing examination of it; the checks in
/// between offer the TLS session the last one was given (`CertificateMemory`) and carry the
/// remembered facts.
public struct CurlHTTPTransport: HTTPTransport {
    public let loop: CurlMultiLoop
    public var userAgent = "hostwatch/0.1"
    /// Standing certificate examinations; nil examines every HTTPS transfer in full.
    public let certificates: CertificateMemory?
    /// Set: each site's connection is kept open and reused (the loop's connection cache must
    /// hold every site); nil: every check connects anew.
    private let pins: ConnectionPins?
    /// A kept connection is used for new checks for at most this long after it was opened.
    public var connectionLifetime: Duration = .seconds(300)

    public init(loop: CurlMultiLoop, certificates: CertificateMemory? = nil, keepsConnections: Bool = false) {
        self.loop = loop
        self.certificates = certificates
        pins = keepsConnections ? ConnectionPins() : nil
    }

    public func perform(_ request: HTTPRequest) async -> HTTPResponse {
        let isHTTPS = request.url.prefix(8).lowercased() == "https://"
        let plan = isHTTPS ? certificates?.plan(Self.site(of: request)) : nil
        let (transfer, code) = await loop.perform { prepare(request, verify: true, plan: plan) }
        var response = response(from: transfer, code: code, request: request)
        if let plan, let certificates {
            let settled = certificates.settle(plan, failed: response.error != nil, seen: response.certificate,
                                              reused: transfer.info(CURLINFO_NUM_CONNECTS) == 0, resumption: transfer.tlsResumption)
            response.certificate = settled.facts
            if let note = settled.note { response.transcript.append(.note, note) }
        }
        if code == CURLE_PEER_FAILED_VERIFICATION {
            // A failed verification leaves no certificate info: look again without verifying,
            // only as far as the handshake, to report the dates and names in the ticket.
            let (second, secondCode) = await loop.perform {
                let second = prepare(request, verify: false)
                second.set(CURLOPT_CONNECT_ONLY, 1)
                return second
            }
            if secondCode == CURLE_OK, var facts = Self.certificateFacts(second.certificateChain()) {
                facts.unverified = true
                response.certificate = facts
            }
        }
        return response
    }

    /// What a certificate examination stands for: the name in the URL and the address reached.
    static func site(of request: HTTPRequest) -> String {
        let afterScheme = request.url.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        let authority = afterScheme.count > 2 ? afterScheme[2] : Substring(request.url)
        return "\(authority.lowercased()) via \(request.connectAddress ?? "-")"
    }

    private func prepare(_ request: HTTPRequest, verify: Bool, plan: CertificateMemory.Plan? = nil) -> CurlTransfer {
        let transfer = CurlTransfer()
        transfer.readBodyBytes = max(request.readBodyBytes, request.keepBodyBytes)
        transfer.maxHeaderBytes = request.maxHeaderBytes
        transfer.set(CURLOPT_URL, request.url)
        transfer.set(CURLOPT_PROTOCOLS_STR, "http,https")
        transfer.set(CURLOPT_USERAGENT, userAgent)
        let ms = Int(max(1, request.timeout.milliseconds))
        transfer.set(CURLOPT_TIMEOUT_MS, ms)
        transfer.set(CURLOPT_CONNECTTIMEOUT_MS, ms)
        let isHTTPS = request.url.prefix(8).lowercased() == "https://"
        // Plain HTTP connects anew: on loopback a kept connection saved it nothing (0.19 against
        // 0.18 ms a check at 500 sites), and a new connection proves the listener accepts.
        if isHTTPS, verify, let pins, let entry = pins.resolveEntry(url: request.url, address: request.connectAddress) {
            if !entry.isEmpty { transfer.set(CURLOPT_RESOLVE, list: [entry]) }
            // A certificate due for examination needs a handshake: a new connection, kept after.
            if plan?.standing == nil { transfer.set(CURLOPT_FRESH_CONNECT, 1) }
            transfer.set(CURLOPT_MAXLIFETIME_CONN, Int(max(1, connectionLifetime.wholeSeconds)))
        } else {
            transfer.set(CURLOPT_FRESH_CONNECT, 1)
            transfer.set(CURLOPT_FORBID_REUSE, 1)
            if let address = request.connectAddress {
                let host = address.contains(":") ? "[\(address)]" : address
                transfer.set(CURLOPT_CONNECT_TO, list: ["::\(host):"])
            }
        }
        if isHTTPS {
            transfer.useTLS(plan)
            if let ca = request.caFile { transfer.set(CURLOPT_CAINFO, ca) }
            transfer.set(CURLOPT_SSL_VERIFYPEER, verify ? 1 : 0)
            transfer.set(CURLOPT_SSL_VERIFYHOST, verify ? 2 : 0)
        }
        return transfer
    }

    private func response(from transfer: CurlTransfer, code: CURLcode, request: HTTPRequest) -> HTTPResponse {
        var response = HTTPResponse()
        let completed = code == CURLE_OK || (code == CURLE_WRITE_ERROR && transfer.bodyTruncated)
        if !completed { response.error = Self.transferError(code, transfer: transfer) }
        var timings = TransferTimings()
        timings.nameLookup = .microseconds(transfer.info(offset: CURLINFO_NAMELOOKUP_TIME_T))
        timings.connect = .microseconds(transfer.info(offset: CURLINFO_CONNECT_TIME_T))
        timings.tls = .microseconds(transfer.info(offset: CURLINFO_APPCONNECT_TIME_T))
        timings.firstByte = .microseconds(transfer.info(offset: CURLINFO_STARTTRANSFER_TIME_T))
        timings.total = .microseconds(transfer.info(offset: CURLINFO_TOTAL_TIME_T))
        response.timings = timings
        if let ip = transfer.info(string: CURLINFO_PRIMARY_IP), !ip.isEmpty {
            response.remote = "\(ip):\(transfer.info(CURLINFO_PRIMARY_PORT))"
        }
        let lines = transfer.headerLines
        if let statusIndex = lines.lastIndex(where: { $0.hasPrefix("HTTP/") }) {
            response.statusLine = lines[statusIndex]
            let status = transfer.info(CURLINFO_RESPONSE_CODE)
            response.status = status > 0 ? status : nil
            response.headers = lines[(statusIndex + 1)...].compactMap { line in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
                return (String(line[..<colon]), String(value))
            }
        }
        response.body = transfer.body
        response.bodyTruncated = transfer.bodyTruncated
        response.bodyPrefix = Array(transfer.body.prefix(request.keepBodyBytes))
        response.certificate = Self.certificateFacts(transfer.certificateChain())

        let recorded = transfer.transcript, dropped = transfer.transcriptDropped, limit = transfer.transcriptLimit
        let bodyPrefix = response.bodyPrefix, cut = transfer.bodyTruncated ? transfer.body.count : nil
        let failure = response.error?.detail
        response.writeTranscriptLater {
            var text = String(decoding: recorded, as: UTF8.self)
            if !bodyPrefix.isEmpty {
                let shown = String(decoding: bodyPrefix, as: UTF8.self)
                text += "* body: first \(bodyPrefix.count) bytes\(cut.map { " (truncated at \($0) bytes read)" } ?? ""):\n"
                for line in shown.split(separator: "\n", omittingEmptySubsequences: false) { text += "< \(line)\n" }
            }
            if let failure { text += "* hostwatch: transfer failed: \(failure)\n" }
            return Transcript(recorded: text, droppedBytes: dropped, limit: limit)
        }
        return response
    }

    static func transferError(_ code: CURLcode, transfer: CurlTransfer) -> TransferError {
        let detail = transfer.errorText(code)
        switch code {
        case CURLE_COULDNT_CONNECT:
            return TransferError(kind: transfer.info(CURLINFO_OS_ERRNO) == Int(ECONNREFUSED) ? .refused : .unreachable, detail: detail)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return TransferError(kind: .unreachable, detail: detail)
        case CURLE_OPERATION_TIMEDOUT:
            return TransferError(kind: .timeout, detail: detail)
        case CURLE_SSL_CONNECT_ERROR:
            return TransferError(kind: .tlsHandshake, detail: detail)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE:
            return TransferError(kind: code == CURLE_SSL_CACERT_BADFILE ? .other : .certificate, detail: detail)
        case CURLE_WRITE_ERROR where transfer.headersOverflowed:
            return TransferError(kind: .headersTooLarge, detail: "response headers exceed \(transfer.maxHeaderBytes) bytes")
        // UNSUPPORTED_PROTOCOL here is "Received HTTP/0.9 when not allowed": bytes that are not HTTP.
        case CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_WEIRD_SERVER_REPLY, CURLE_HTTP2, CURLE_PARTIAL_FILE,
             CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_CONTENT_ENCODING:
            return TransferError(kind: .protocolError, detail: detail)
        default:
            return TransferError(kind: .other, detail: "\(detail) (curl error \(code.rawValue))")
        }
    }

    /// The leaf certificate's subject, issuer and expiry from libcurl's certinfo lines.
    static func certificateFacts(_ chain: [[String]]) -> CertificateFacts? {
        guard let leaf = chain.first else { return nil }
        var facts = CertificateFacts()
        for line in leaf {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon]
            let value = String(line[line.index(after: colon)...])
            switch name {
            case "Subject": facts.subject = value
            case "Issuer": facts.issuer = value
            case "Expire date": facts.notAfter = CertificateDate.parse(value)
            default: break
            }
        }
        return facts
    }
}

/// Dates as OpenSSL prints them in libcurl's certinfo: `Jan  5 12:00:00 2027 GMT`, or
/// `2027-01-05 12:00:00 GMT` in some builds.
enum CertificateDate {
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func parse(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        if parts.count >= 4, let monthIndex = months.firstIndex(of: String(parts[0])), let day = Int(parts[1]), let year = Int(parts[3]) {
            let time = parts[2].split(separator: ":").compactMap { Int($0) }
            guard time.count == 3 else { return nil }
            return RFC3339.parse("\(pad(year, 4))-\(pad(monthIndex + 1, 2))-\(pad(day, 2))T\(pad(time[0], 2)):\(pad(time[1], 2)):\(pad(time[2], 2))Z")
        }
        if parts.count >= 2 {
            return RFC3339.parse("\(parts[0])T\(parts[1])Z")
        }
        return nil
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
