import Dispatch
import Glibc

/// Turns SIGTERM, SIGINT and SIGHUP into calls on a queue: the default action is ignored first,
/// then a dispatch source delivers the signal as an event.
/// (`@unchecked`: the sources are set once in `init` and only cancelled after.)
final class SignalHandling: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]

    init(_ signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        let queue = DispatchQueue(label: "hostwatch.signals")
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { handler(number) }
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
