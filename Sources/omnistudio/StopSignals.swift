import Dispatch
import Foundation
import Synchronization

/// Ctrl-C, SIGTERM and SIGHUP (a closed terminal, a service manager stopping the command) turned into a request to
/// stop: `onSignal` runs on a queue of its own — the global queue's threads may all be busy with the command's work,
/// and a handler waiting for one of them took seconds to run (measured: 8 s for `generate` at 32×32 on 2 cores).
/// The first signal is kept for the exit status (128 + its number, as a shell reports it); `restore()` gives the
/// signals their default actions back.
final class StopSignals {
    static let handled = [SIGINT, SIGTERM, SIGHUP]
    /// The first signal's number (0: none yet), shared with the handlers.
    private final class First: Sendable { let signal = Atomic<Int32>(0) }
    private let first = First()
    private let sources: [DispatchSourceSignal]

    init(label: String, onSignal: @escaping @Sendable (Int32) -> Void = { _ in }) {
        let queue = DispatchQueue(label: label)
        let first = self.first
        sources = Self.handled.map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler {
                _ = first.signal.compareExchange(expected: 0, desired: sig, ordering: .relaxed)
                onSignal(sig)
            }
            source.resume()
            return source
        }
    }

    /// The first signal received, 0 for none.
    var received: Int32 { first.signal.load(ordering: .relaxed) }

    /// The exit status for a command stopped by a signal: 128 + its number (SIGINT's when none was recorded).
    var exitCode: Int32 { 128 + (received == 0 ? SIGINT : received) }

    func restore() {
        for (source, sig) in zip(sources, Self.handled) { source.cancel(); signal(sig, SIG_DFL) }
    }
}
