import CTLS
import Glibc

/// `hostwatch-bench tls-context [--n 2000]`: the CPU OpenSSL spends on the client context that
/// libcurl (7.88, Debian 12) makes for every TLS connection it opens (`SSL_CTX_new` and
/// `SSL_CTX_free`), beside a connection's own object on a context that is kept (`SSL_new` and
/// `SSL_free`). A part's figure, printed to explain a whole one: every SMTP STARTTLS or IMAPS
/// check is a new connection, so each pays for a new context before any byte is sent, and no
/// libcurl option lets a context be shared (issue 16's SMTP target).
enum TLSContextBench {
    static func run(_ args: [String]) {
        let n = BenchArguments(args, options: ["--n"]).count("--n", default: 2000)
        // Once before timing: OpenSSL loads its configuration and providers on first use.
        guard let first = SSL_CTX_new(TLS_client_method()) else { fail("SSL_CTX_new failed") }
        SSL_CTX_free(first)

        let contexts = cpuMicroseconds {
            for _ in 0..<n {
                guard let context = SSL_CTX_new(TLS_client_method()) else { fail("SSL_CTX_new failed") }
                SSL_CTX_free(context)
            }
        }
        guard let kept = SSL_CTX_new(TLS_client_method()) else { fail("SSL_CTX_new failed") }
        let connections = cpuMicroseconds {
            for _ in 0..<n {
                guard let ssl = SSL_new(kept) else { fail("SSL_new failed") }
                SSL_free(ssl)
            }
        }
        SSL_CTX_free(kept)
        let version = String(cString: OpenSSL_version(OPENSSL_VERSION))
        print("tls-context: \(version), \(n) each, CPU microseconds per call pair")
        print("ssl_ctx_new_free_us=\(format(contexts / Double(n))) ssl_new_free_us=\(format(connections / Double(n)))")
    }

    /// The process's CPU time `body` took, in microseconds.
    private static func cpuMicroseconds(_ body: () -> Void) -> Double {
        func now() -> Double {
            var time = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
            return Double(time.tv_sec) * 1e6 + Double(time.tv_nsec) / 1e3
        }
        let start = now()
        body()
        return now() - start
    }

    private static func format(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
