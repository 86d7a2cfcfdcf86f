/// Reverse-mode autodiff at op granularity. While a tape is active (`tape.recording { … }`), each op whose
/// inputs require gradients appends its backward closure; `backward(from:)` runs them in reverse, each
/// accumulating into its inputs' `grad`. Without an active tape (inference) ops record nothing.
///
/// A tape belongs to one thread of control: ops record onto the tape active on the calling task.
public final class Tape: @unchecked Sendable {
    @TaskLocal static var active: Tape?

    private struct Entry {
        let output: Tensor
        let backward: (Tensor) -> Void
    }
    private var entries: [Entry] = []

    public init() {}

    /// Runs `body` with this tape recording.
    public func recording<Result>(_ body: () throws -> Result) rethrows -> Result {
        try Tape.$active.withValue(self) { try body() }
    }

    /// Ops recorded so far.
    public var count: Int { entries.count }

    /// Whether an op over `inputs` must record: a tape is active and some input requires a gradient.
    @inline(__always)
    static func shouldRecord(_ inputs: Tensor?...) -> Tape? {
        guard let tape = active else { return nil }
        for case let t? in inputs where t.requiresGrad { return tape }
        return nil
    }

    /// `shouldRecord` over an array of inputs (ops with a variable number of operands).
    @inline(__always)
    static func shouldRecord(_ inputs: [Tensor]) -> Tape? {
        guard let tape = active else { return nil }
        return inputs.contains { $0.requiresGrad } ? tape : nil
    }

    /// Records `backward`, which receives the output's gradient and accumulates into the inputs' gradients.
    static func record(_ tape: Tape?, output: Tensor, backward: @escaping (Tensor) -> Void) {
        guard let tape else { return }
        output.requiresGrad = true
        tape.entries.append(Entry(output: output, backward: backward))
    }

    /// Back-propagates from `loss` (seeded with ones, or `seed`), then clears the tape. Gradients of
    /// intermediate results are released as soon as they have been propagated; leaves keep theirs.
    public func backward(from loss: Tensor, seed: Tensor? = nil) {
        if let seed {
            precondition(seed.shape == loss.shape)
            loss.gradData().update(from: seed.data, count: loss.count)
        } else {
            let g = loss.gradData()
            for i in 0..<loss.count { g[i] += 1 }
        }
        for entry in entries.reversed() {
            guard let g = entry.output.grad else { continue }
            entry.backward(g)
            entry.output.grad = nil
        }
        entries.removeAll()
    }

    /// Drops every recorded op without back-propagating.
    public func reset() { entries.removeAll() }
}
