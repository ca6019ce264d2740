import CCurl
import FoundationEssentials
import HostwatchCore

/// HTTP requests with a method and a body, for sinks (RT, webhook), on the agent's libcurl multi
/// loop. Unlike a check's transport it reuses connections (a helpdesk is one host) and keeps no
/// transcript beyond libcurl's words for a failure; the `Authorization` header never leaves it.
struct SinkHTTPClient: Sendable {
    struct Request: Sendable {
        var method = "GET"
        var url: String
        var headers: [String] = []
        var body: [UInt8]?
        var timeout: Duration
        var caFile: String?
        /// Connect here instead of resolving the URL's host.
        var connectAddress: String?
    }

    struct Response: Sendable {
        var status = 0
        var headers: [(name: String, value: String)] = []
        var body: [UInt8] = []
        /// Set when no complete answer came (refused, timeout, TLS).
        var error: TransferError?

        func header(_ name: String) -> String? {
            headers.last { $0.name.lowercased() == name.lowercased() }?.value
        }

        /// The first bytes of the body as text, for error messages.
        var bodyExcerpt: String {
            let text = String(decoding: body.prefix(300), as: UTF8.self)
            return text.split(whereSeparator: \.isNewline).joined(separator: " ")
        }
    }

    let loop: CurlMultiLoop
    var userAgent = "hostwatch/0.1 (ticket delivery)"
    /// Response bodies above this are cut (and the request counts as failed).
    var maxBodyBytes = 4 << 20

    func send(_ request: Request) async -> Response {
        let agent = userAgent
        let limit = maxBodyBytes
        let (transfer, code) = await loop.perform {
            let transfer = CurlTransfer()
            transfer.readBodyBytes = limit
            transfer.set(CURLOPT_URL, request.url)
            transfer.set(CURLOPT_PROTOCOLS_STR, "http,https")
            transfer.set(CURLOPT_USERAGENT, agent)
            let ms = Int(max(1, request.timeout.milliseconds))
            transfer.set(CURLOPT_TIMEOUT_MS, ms)
            transfer.set(CURLOPT_CONNECTTIMEOUT_MS, ms)
            if let ca = request.caFile { transfer.set(CURLOPT_CAINFO, ca) }
            if let address = request.connectAddress {
                transfer.set(CURLOPT_CONNECT_TO, list: ["::\(address.contains(":") ? "[\(address)]" : address):"])
            }
            transfer.set(CURLOPT_HTTPHEADER, list: request.headers + ["Expect:"])
            if let body = request.body { transfer.setBody(body) }
            if request.method != "GET" && !(request.method == "POST" && request.body != nil) {
                transfer.set(CURLOPT_CUSTOMREQUEST, request.method)
            }
            return transfer
        }
        var response = Response()
        guard code == CURLE_OK else {
            response.error = CurlHTTPTransport.transferError(code, transfer: transfer)
            return response
        }
        response.status = transfer.info(CURLINFO_RESPONSE_CODE)
        let lines = transfer.headerLines
        let start = lines.lastIndex { $0.hasPrefix("HTTP/") }.map { $0 + 1 } ?? 0
        response.headers = lines[start...].compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }))
        }
        response.body = transfer.body
        return response
    }
}
