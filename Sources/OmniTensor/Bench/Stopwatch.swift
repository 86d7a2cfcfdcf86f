import Dispatch

/// Wall-clock timing for benchmarks: runs a body repeatedly and reports the median seconds per run.
/// Benchmarks compare medians taken in the same process run, never against remembered numbers.
public enum Stopwatch {
    /// Median seconds of `body` over at least `minimumRuns` runs and at least `minimumSeconds` in total
    /// (after one untimed warm-up run).
    public static func median(minimumRuns: Int = 3, minimumSeconds: Double = 0.25, _ body: () -> Void) -> Double {
        median(minimumRuns: minimumRuns, minimumSeconds: minimumSeconds, setup: {}, { _ in body() })
    }

    /// Like `median(_:)`, with an untimed `setup` before every run whose result the timed `body` consumes
    /// (e.g. record a tape, then time only its backward pass).
    public static func median<Prepared>(minimumRuns: Int = 3, minimumSeconds: Double = 0.25,
                                        setup: () -> Prepared, _ body: (Prepared) -> Void) -> Double {
        body(setup())
        var times: [Double] = []
        var total = 0.0
        while times.count < minimumRuns || total < minimumSeconds {
            let prepared = setup()
            let start = DispatchTime.now().uptimeNanoseconds
            body(prepared)
            let t = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            times.append(t)
            total += t
            if times.count >= 1000 { break }
        }
        times.sort()
        return times[times.count / 2]
    }
}
