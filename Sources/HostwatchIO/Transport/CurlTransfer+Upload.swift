import CCurl
import FoundationEssentials

/// Request bodies: a copied body for HTTP (`POST`, `PUT`), and a read callback for uploads that
/// libcurl pulls in pieces (an SMTP message after `DATA`).
extension CurlTransfer {
    /// Sends `bytes` as the request body (libcurl keeps its own copy). With `CURLOPT_POST` implied;
    /// set `CURLOPT_CUSTOMREQUEST` for another method.
    func setBody(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                // An empty body still needs a valid pointer: libcurl copies zero bytes from it.
                var empty: CChar = 0
                _ = hw_easy_setopt_copy_body(easy, chars.baseAddress ?? withUnsafePointer(to: &empty) { $0 }, curl_off_t(bytes.count))
            }
        }
    }

    /// Makes the transfer an upload of `bytes` through the read callback (`CURLOPT_UPLOAD`).
    func setUpload(_ bytes: [UInt8]) {
        let source = UploadSource(bytes)
        upload = source
        hw_easy_setopt_long(easy, CURLOPT_UPLOAD, 1)
        hw_easy_setopt_offset(easy, CURLOPT_INFILESIZE_LARGE, curl_off_t(bytes.count))
        hw_easy_setopt_data_callback(easy, CURLOPT_READFUNCTION, curlRead)
        hw_easy_setopt_pointer(easy, CURLOPT_READDATA, Unmanaged.passUnretained(source).toOpaque())
    }
}

/// The bytes of an upload and how far libcurl has read them; touched by the loop thread only
/// while the transfer runs.
final class UploadSource: @unchecked Sendable {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        let count = min(capacity, bytes.count - offset)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBufferPointer { source in
            UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }
}

private let curlRead: hw_data_callback = { buffer, size, count, userdata in
    guard let buffer, let userdata else { return 0 }
    let source = Unmanaged<UploadSource>.fromOpaque(userdata).takeUnretainedValue()
    return source.read(into: buffer, capacity: size * count)
}
