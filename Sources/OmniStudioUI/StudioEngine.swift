import Foundation
import OmniMedia
import OmniModel

/// Runs generations on a background Dispatch queue and publishes into a locked snapshot that the UI polls.
/// Loaded models are kept, so a re-run that changes only guidance or steps reuses the condition cache.
public final class StudioEngine: @unchecked Sendable {
    public struct Snapshot: Sendable {
        public var running = false
        public var runSerial = 0
        public var progress = GenerationProgress()
        public var preview: RGBImage?
        public var previewSerial = 0
        public var finished: URL?
        public var error: String?
        public var cancelled = false
        /// Condition encodings this run computed (not served from the model's memo).
        public var conditionEncodings = 0
        /// The run's notes about its inputs (`GenerationEvent.note`), oldest first.
        public var notes: [String] = []
    }

    private let lock = NSLock()
    private var snap = Snapshot()
    private var generation: Generation?
    private var models: [String: LoadedModel] = [:]
    private let queue = DispatchQueue(label: "omnistudio.engine", qos: .userInitiated)
    public let outputRoot: URL
    private let clock: @Sendable () -> Double

    public init(outputRoot: URL, clock: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime }) {
        self.outputRoot = outputRoot
        self.clock = clock
        FFmpegLog.install()
    }

    public func snapshot() -> Snapshot { lock.lock(); defer { lock.unlock() }; return snap }

    private func update(_ f: (inout Snapshot) -> Void) { lock.lock(); f(&snap); lock.unlock() }

    /// Starts `request`; false when a run is already going.
    @discardableResult
    public func start(_ request: GenerationRequest) -> Bool {
        lock.lock()
        if snap.running { lock.unlock(); return false }
        snap.running = true
        snap.runSerial += 1
        snap.progress = GenerationProgress()
        snap.finished = nil; snap.error = nil; snap.cancelled = false; snap.notes = []
        lock.unlock()
        let t0 = clock()
        update { $0.progress.apply(.loading("model \(request.model)"), at: t0) }
        queue.async { [self] in
            let model: LoadedModel
            do throws(ModelError) {
                model = try cachedModel(request.model)
            } catch {
                update { $0.running = false; $0.error = error.description; $0.progress.apply(.failed(error), at: self.clock()) }
                return
            }
            // Counted per run: a re-run that only changes a weight encodes nothing (the memo, §3.3).
            let encodedBefore = model.conditionEncodings
            let g = Generation(request: request, model: model, outputRoot: outputRoot)
            lock.lock(); generation = g; lock.unlock()
            g.run { event in
                let now = self.clock()
                self.update { s in
                    s.progress.apply(event, at: now)
                    s.conditionEncodings = model.conditionEncodings - encodedBefore
                    switch event {
                    case .step(_, _, _, _, let preview?): s.preview = preview; s.previewSerial += 1
                    // Each frame as it is decoded (the generator streams them).
                    case .frame(_, _, let image): s.preview = image; s.previewSerial += 1
                    case .finished(let url): s.finished = url
                    case .failed(let e): s.error = e.description
                    case .cancelled: s.cancelled = true
                    case .note(let text): s.notes.append(text)
                    default: break
                    }
                }
            }
            lock.lock(); generation = nil; snap.running = false; lock.unlock()
        }
        return true
    }

    private func cachedModel(_ source: String) throws(ModelError) -> LoadedModel {
        lock.lock()
        if let m = models[source] { lock.unlock(); return m }
        lock.unlock()
        let m = try LoadedModel.load(source)
        lock.lock(); models[source] = m; lock.unlock()
        return m
    }

    public func cancel() {
        lock.lock(); let g = generation; lock.unlock()
        g?.cancel()
    }

    /// Waits until no run is going (for tests and exit), up to `timeout` seconds.
    public func wait(timeout: Double) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while snapshot().running { if Date() > end { return false }; usleep(5000) }
        return true
    }
}
