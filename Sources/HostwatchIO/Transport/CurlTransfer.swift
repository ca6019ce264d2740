import CCurl
import CTLS
import FoundationEssentials
import HostwatchCore

/// One easy handle with what it records: the transcript (through the debug callback, which
/// needs `CURLOPT_VERBOSE`), the response header lines and the body, each capped.
final class CurlTransfer: @unchecked Sendable {
    let easy: UnsafeMutableRawPointer
    var continuation: CheckedContinuation<(CurlTransfer?, CURLcode), Never>?

    /// Limits, set before the transfer starts.
    var transcriptLimit = 64 * 1024
    var maxHeaderBytes = 64 * 1024
    var readBodyBytes = 1 << 20
    var recordsBody = false
    /// Mail sessions: keep the protocol lines as `DialogueLine`s too, and redact across lines
    /// (what follows a SASL challenge).
    var recordsDialogue = false
    /// Lines kept in `dialogueLines` at most; each is cut at `dialogueLineLimit` bytes.
    var dialogueLineCount = 4096
    var dialogueLineLimit = 4096
    /// The part of a mail session after libcurl's `CONNECT_ONLY` opening, run by the loop.
    var dialogue: CurlDialogue?
    /// Why the dialogue ended early, in words (libcurl's error buffer says nothing about it).
    var dialogueError: String?
    /// When the transfer was made and when it finished, on the loop thread.
    let madeAt = ContinuousClock.now
    private(set) var finishedAt: ContinuousClock.Instant?

    private(set) var transcript: [UInt8] = []
    private(set) var transcriptDropped = 0
    private(set) var headerLines: [String] = []
    private(set) var headerBytes = 0
    private(set) var headersOverflowed = false
    private(set) var body: [UInt8] = []
    private(set) var bodyTruncated = false
    private(set) var dialogueLines: [DialogueLine] = []
    private var conversation = TranscriptRedaction.Conversation()

    /// The bytes an upload (an SMTP message) reads from; see CurlTransfer+Upload.swift.
    var upload: UploadSource?
    private var lists: [UnsafeMutablePointer<curl_slist>] = []
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
    /// What the TLS handshake did, when the transfer keeps its site's sessions.
    private var handshake: UnsafeMutablePointer<hw_tls_handshake>?
    /// The slot the handshake offers from and keeps to, held while the transfer lives.
    private var sessionSlot: CertificateMemory.SessionSlot?

    init() {
        CurlGlobal.initialize()
        easy = curl_easy_init()
        errorBuffer[0] = 0
        let me = Unmanaged.passUnretained(self).toOpaque()
        // No signals from libcurl's resolver timeouts: the agent is multi-threaded.
        hw_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        // A check reads a status line, headers and at most a little body: 4 KiB at a time
        // instead of 16 KiB for each transfer in flight (thousands, with hung servers).
        hw_easy_setopt_long(easy, CURLOPT_BUFFERSIZE, 4096)
        // Debian's libcurl sets /etc/ssl/certs as CApath, which turns off the multi handle's CA
        // cache and makes every TLS handle re-read the whole bundle (~10-30 ms CPU each).
        hw_easy_setopt_string(easy, CURLOPT_CAPATH, nil)
        // Any TLS connection lets go of its record buffers while it waits (a slot's transfers
        // replace this callback with one that does the same and more).
        hw_easy_release_tls_buffers(easy)
        hw_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        hw_easy_setopt_long(easy, CURLOPT_VERBOSE, 1)
        hw_easy_setopt_debug_callback(easy, curlDebug)
        hw_easy_setopt_pointer(easy, CURLOPT_DEBUGDATA, me)
        hw_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION, curlWrite)
        hw_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me)
        hw_easy_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION, curlHeader)
        hw_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me)
    }

    deinit {
        curl_easy_cleanup(easy)
        handshake?.deallocate()
        for list in lists { curl_slist_free_all(list) }
        errorBuffer.deallocate()
    }

    func set(_ option: CURLoption, _ value: Int) { hw_easy_setopt_long(easy, option, value) }
    func set(_ option: CURLoption, _ value: String) { hw_easy_setopt_string(easy, option, value) }

    /// Sets a string-list option; the list lives as long as the transfer.
    func set(_ option: CURLoption, list values: [String]) {
        var list: UnsafeMutablePointer<curl_slist>?
        for value in values { list = curl_slist_append(list, value) }
        guard let list else { return }
        lists.append(list)
        hw_easy_setopt_slist(easy, option, list)
    }

    /// TLS by the plan: a full handshake whose certificate is dumped (`CURLOPT_CERTINFO`), or,
    /// with a standing examination, the site's kept session offered (no certificate is sent on a
    /// resumed session: nothing to dump) and the sessions the server issues kept for the next
    /// transfer. The examining handshake keeps none: kept from an agent's first minute, with
    /// its start-up garbage around them, 8,000 sessions held 20 MiB more RSS in the scale run.
    func useTLS(_ plan: CertificateMemory.Plan?) {
        if let slot = plan?.sessions, plan?.standing != nil {
            let handshake = UnsafeMutablePointer<hw_tls_handshake>.allocate(capacity: 1)
            handshake.initialize(to: hw_tls_handshake(slot: slot.pointer, offered: 0, done: 0, resumed: 0))
            self.handshake = handshake
            sessionSlot = slot
            hw_easy_use_tls_slot(easy, handshake)
        } else {
            set(CURLOPT_CERTINFO, 1)
            // libcurl's own cache stays out of it, as for the transfers with a slot.
            if plan != nil { set(CURLOPT_SSL_SESSIONID_CACHE, 0) }
        }
    }

    /// What became of the kept TLS session; nil when no handshake was seen (none done, or the
    /// connection was already open).
    var tlsResumption: CertificateMemory.Resumption? {
        guard let handshake, handshake.pointee.done != 0 else { return nil }
        if handshake.pointee.resumed != 0 { return .resumed }
        return handshake.pointee.offered != 0 ? .refused : .noneKept
    }

    func finish(_ code: CURLcode) {
        finishedAt = ContinuousClock.now
        // libcurl is done with the slot (a kept connection's TLS context holds a reference of its
        // own): let go of it before the caller goes on, so that a sweep right after frees it.
        sessionSlot = nil
        continuation?.resume(returning: (self, code))
        continuation = nil
    }

    /// libcurl's detailed message for the last failure, or its generic one for `code`.
    func errorText(_ code: CURLcode) -> String {
        if let dialogueError { return dialogueError }
        let detail = String(cString: errorBuffer)
        return detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
    }

    func info(_ item: CURLINFO) -> Int {
        var value = 0
        hw_easy_getinfo_long(easy, item, &value)
        return value
    }

    func info(offset item: CURLINFO) -> Int64 {
        var value: curl_off_t = 0
        hw_easy_getinfo_offset(easy, item, &value)
        return Int64(value)
    }

    func info(string item: CURLINFO) -> String? {
        var value: UnsafeMutablePointer<CChar>?
        hw_easy_getinfo_string(easy, item, &value)
        return value.map { String(cString: $0) }
    }

    /// The certificate chain as libcurl reports it (`CURLOPT_CERTINFO`): one list of
    /// `Name:value` lines per certificate, leaf first.
    func certificateChain() -> [[String]] {
        var info: UnsafeMutablePointer<curl_certinfo>?
        guard hw_easy_getinfo_certinfo(easy, &info) == CURLE_OK, let info, let certs = info.pointee.certinfo else { return [] }
        var chain: [[String]] = []
        for i in 0..<Int(info.pointee.num_of_certs) {
            var lines: [String] = []
            var node = certs[i]
            while let current = node {
                if let data = current.pointee.data { lines.append(String(cString: data)) }
                node = current.pointee.next
            }
            chain.append(lines)
        }
        return chain
    }

    // MARK: Recording, called on the loop thread only

    fileprivate func record(_ type: curl_infotype, _ bytes: UnsafeRawBufferPointer) {
        let marker: UInt8
        switch type {
        case CURLINFO_TEXT: marker = UInt8(ascii: "*")
        case CURLINFO_HEADER_IN: marker = UInt8(ascii: "<")
        case CURLINFO_HEADER_OUT: marker = UInt8(ascii: ">")
        default: return
        }
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 10 { end += 1 }
            var lineEnd = end
            if lineEnd > start, bytes[lineEnd - 1] == 13 { lineEnd -= 1 }
            // libcurl 7.88 notes "reached easy.c:NNNN" on every curl_easy_recv that would block: noise.
            let noise = type == CURLINFO_TEXT && recordsDialogue && lineEnd - start > 8
                && UnsafeRawBufferPointer(rebasing: bytes[start..<(start + 8)]).elementsEqual("reached ".utf8)
            if !noise, lineEnd > start || type == CURLINFO_TEXT {
                keep(marker, UnsafeRawBufferPointer(rebasing: bytes[start..<lineEnd]))
            }
            start = end + 1
        }
    }

    /// Keeps one line, redacted, in the transcript and, for mail, in the dialogue.
    func keep(_ marker: UInt8, _ line: UnsafeRawBufferPointer) {
        var redacted: [UInt8]?
        if recordsDialogue, marker != UInt8(ascii: "*") {
            if marker == UInt8(ascii: ">") {
                redacted = conversation.sent(line)
            } else {
                conversation.received(line)
                redacted = TranscriptRedaction.redact(line)
            }
            if dialogueLines.count < dialogueLineCount {
                let kept = redacted.map { Array($0.prefix(dialogueLineLimit)) } ?? Array(line.prefix(dialogueLineLimit))
                var text = String(decoding: kept, as: UTF8.self)
                if (redacted?.count ?? line.count) > dialogueLineLimit { text += "…" }
                dialogueLines.append(DialogueLine(marker == UInt8(ascii: ">") ? .sent : .received, text))
            }
        } else {
            redacted = TranscriptRedaction.redact(line)
        }
        appendLine(marker, line, redacted: redacted)
    }

    /// Keeps a note (`* …`) in the transcript only.
    func note(_ text: String) {
        var text = text
        text.withUTF8 { appendLine(UInt8(ascii: "*"), UnsafeRawBufferPointer($0), redacted: nil) }
    }

    private func appendLine(_ marker: UInt8, _ line: UnsafeRawBufferPointer, redacted: [UInt8]?) {
        let size = (redacted?.count ?? line.count) + 3
        guard transcript.count + size <= transcriptLimit else {
            transcriptDropped += size
            return
        }
        transcript.append(marker)
        transcript.append(32)
        if let redacted { transcript.append(contentsOf: redacted) } else { transcript.append(contentsOf: line) }
        transcript.append(10)
    }

    fileprivate func receiveHeader(_ bytes: UnsafeRawBufferPointer) -> Bool {
        headerBytes += bytes.count
        guard headerBytes <= maxHeaderBytes else {
            headersOverflowed = true
            return false
        }
        var end = bytes.count
        while end > 0, bytes[end - 1] == 10 || bytes[end - 1] == 13 { end -= 1 }
        if end > 0 { headerLines.append(String(decoding: bytes[0..<end], as: UTF8.self)) }
        return true
    }

    fileprivate func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let room = max(0, readBodyBytes - body.count)
        let take = min(bytes.count, room)
        // Grown by doubling, but never past the cap: appending 64 KiB to 960 KiB would otherwise
        // reserve 2 MiB for a body cut at 1 MiB (a thousand hostile servers, twice the memory).
        if body.count + take > body.capacity {
            body.reserveCapacity(min(readBodyBytes, max(body.capacity * 2, body.count + take)))
        }
        body.append(contentsOf: bytes.prefix(take))
        if bytes.count > room {
            bodyTruncated = true
            return false
        }
        return true
    }
}

private let curlDebug: hw_debug_callback = { _, type, data, size, userdata in
    guard let userdata, let data else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    transfer.record(type, UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

private let curlWrite: hw_data_callback = { data, size, count, userdata in
    guard let userdata, let data else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    let total = size * count
    // Returning less than given aborts the transfer (CURLE_WRITE_ERROR): a body past the cap
    // is not read to its end, so an endless body costs bounded memory and time.
    return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: total)) ? total : 0
}

private let curlHeader: hw_data_callback = { data, size, count, userdata in
    guard let userdata, let data else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    let total = size * count
    return transfer.receiveHeader(UnsafeRawBufferPointer(start: data, count: total)) ? total : 0
}
