import Foundation

/// A complex discrete Fourier transform of one fixed length `count`, any length ≥ 1, by recursive mixed-radix
/// decimation in time: the length is factored into radices 4, 2, 3, 5 and then any remaining primes (a prime
/// radix p costs p² complex multiply-adds per butterfly, so lengths with large prime factors are slow but
/// correct). The Whisper frame length 400 = 4·4·5·5 needs four stages.
///
/// Forward transform, no scaling: `X[k] = Σ_j x[j]·exp(−2πi·j·k/count)`. Computed in Double. Build one per
/// length and reuse it; it is immutable and safe to share between threads (each call brings its own buffers).
struct MixedRadixFFT: Sendable {
    let count: Int
    /// Radices in the order the recursion applies them (outermost first); their product is `count`.
    let radices: [Int]
    /// exp(−2πi·j/count) for j in 0..<count, split into real and imaginary parts.
    private let twiddleRe: [Double]
    private let twiddleIm: [Double]

    init(count: Int) {
        precondition(count >= 1, "an FFT needs a length of at least 1, got \(count)")
        self.count = count
        var radices: [Int] = []
        var rest = count
        for p in [4, 2, 3, 5] {
            while rest % p == 0 { radices.append(p); rest /= p }
        }
        var p = 7
        while rest > 1 {
            while rest % p == 0 { radices.append(p); rest /= p }
            p += 2
            if p * p > rest && rest > 1 { radices.append(rest); rest = 1 }
        }
        self.radices = radices
        twiddleRe = (0..<count).map { cos(-2 * Double.pi * Double($0) / Double(count)) }
        twiddleIm = (0..<count).map { sin(-2 * Double.pi * Double($0) / Double(count)) }
    }

    /// Transforms `count` complex values read from `inRe`/`inIm` into `outRe`/`outIm` (which must not overlap
    /// the input).
    func transform(inRe: UnsafePointer<Double>, inIm: UnsafePointer<Double>,
                   outRe: UnsafeMutablePointer<Double>, outIm: UnsafeMutablePointer<Double>) {
        twiddleRe.withUnsafeBufferPointer { twRe in
            twiddleIm.withUnsafeBufferPointer { twIm in
                stage(0, inRe, inIm, inStride: 1, outRe, outIm, twRe.baseAddress!, twIm.baseAddress!)
            }
        }
    }

    /// Convenience for tests and one-off use: the transform of `re + i·im`.
    func transform(re: [Double], im: [Double]) -> (re: [Double], im: [Double]) {
        precondition(re.count == count && im.count == count)
        var outRe = [Double](repeating: 0, count: count), outIm = [Double](repeating: 0, count: count)
        re.withUnsafeBufferPointer { r in
            im.withUnsafeBufferPointer { i in
                outRe.withUnsafeMutableBufferPointer { oR in
                    outIm.withUnsafeMutableBufferPointer { oI in
                        transform(inRe: r.baseAddress!, inIm: i.baseAddress!, outRe: oR.baseAddress!, outIm: oI.baseAddress!)
                    }
                }
            }
        }
        return (outRe, outIm)
    }

    /// One level of the recursion: the length-(p·m) transform of the input taken every `inStride` values, written
    /// contiguously to the output. The p sub-transforms of length m (inputs q, q+p, q+2p, …) land at out[q·m …],
    /// then the butterflies combine them in place.
    private func stage(_ level: Int, _ inRe: UnsafePointer<Double>, _ inIm: UnsafePointer<Double>, inStride: Int,
                       _ outRe: UnsafeMutablePointer<Double>, _ outIm: UnsafeMutablePointer<Double>,
                       _ twRe: UnsafePointer<Double>, _ twIm: UnsafePointer<Double>) {
        guard level < radices.count else {
            outRe[0] = inRe[0]; outIm[0] = inIm[0]
            return
        }
        let p = radices[level]
        var m = 1
        for r in radices[(level + 1)...] { m *= r }
        if m == 1 {
            for q in 0..<p { outRe[q] = inRe[q * inStride]; outIm[q] = inIm[q * inStride] }
        } else {
            for q in 0..<p {
                stage(level + 1, inRe + q * inStride, inIm + q * inStride, inStride: inStride * p,
                      outRe + q * m, outIm + q * m, twRe, twIm)
            }
        }
        // Twiddle for sub-transform q at output k is exp(−2πi·q·k/(p·m)) = tw[q·k·twStride].
        let twStride = count / (p * m)
        switch p {
        case 2: radix2(outRe, outIm, m, twStride, twRe, twIm)
        case 4: radix4(outRe, outIm, m, twStride, twRe, twIm)
        default: radixGeneric(p, outRe, outIm, m, twStride, twRe, twIm)
        }
    }

    private func radix2(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>, _ m: Int, _ twStride: Int,
                        _ twRe: UnsafePointer<Double>, _ twIm: UnsafePointer<Double>) {
        for k in 0..<m {
            let wr = twRe[k * twStride], wi = twIm[k * twStride]
            let br = re[k + m] * wr - im[k + m] * wi, bi = re[k + m] * wi + im[k + m] * wr
            let ar = re[k], ai = im[k]
            re[k] = ar + br; im[k] = ai + bi
            re[k + m] = ar - br; im[k + m] = ai - bi
        }
    }

    private func radix4(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>, _ m: Int, _ twStride: Int,
                        _ twRe: UnsafePointer<Double>, _ twIm: UnsafePointer<Double>) {
        for k in 0..<m {
            let a0r = re[k], a0i = im[k]
            var t = k * twStride
            let a1r = re[k + m] * twRe[t] - im[k + m] * twIm[t], a1i = re[k + m] * twIm[t] + im[k + m] * twRe[t]
            t += k * twStride
            let a2r = re[k + 2 * m] * twRe[t] - im[k + 2 * m] * twIm[t], a2i = re[k + 2 * m] * twIm[t] + im[k + 2 * m] * twRe[t]
            t += k * twStride
            let a3r = re[k + 3 * m] * twRe[t] - im[k + 3 * m] * twIm[t], a3i = re[k + 3 * m] * twIm[t] + im[k + 3 * m] * twRe[t]
            let s02r = a0r + a2r, s02i = a0i + a2i, d02r = a0r - a2r, d02i = a0i - a2i
            let s13r = a1r + a3r, s13i = a1i + a3i, d13r = a1r - a3r, d13i = a1i - a3i
            // Outputs s = 0…3 with exp(−2πi·q·s/4): −i·d13 for s = 1, +i·d13 for s = 3.
            re[k] = s02r + s13r; im[k] = s02i + s13i
            re[k + m] = d02r + d13i; im[k + m] = d02i - d13r
            re[k + 2 * m] = s02r - s13r; im[k + 2 * m] = s02i - s13i
            re[k + 3 * m] = d02r - d13i; im[k + 3 * m] = d02i + d13r
        }
    }

    private func radixGeneric(_ p: Int, _ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>, _ m: Int,
                              _ twStride: Int, _ twRe: UnsafePointer<Double>, _ twIm: UnsafePointer<Double>) {
        // exp(−2πi·j/p) = tw[j·(count/p)].
        let rootStride = count / p
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * p) { scratch in
            let ar = scratch.baseAddress!, ai = ar + p
            for k in 0..<m {
                for q in 0..<p {
                    let t = (q * k * twStride) % count
                    let xr = re[k + q * m], xi = im[k + q * m]
                    ar[q] = xr * twRe[t] - xi * twIm[t]
                    ai[q] = xr * twIm[t] + xi * twRe[t]
                }
                for s in 0..<p {
                    var sr = ar[0], si = ai[0]
                    for q in 1..<p {
                        let t = ((q * s) % p) * rootStride
                        sr += ar[q] * twRe[t] - ai[q] * twIm[t]
                        si += ar[q] * twIm[t] + ai[q] * twRe[t]
                    }
                    re[k + s * m] = sr; im[k + s * m] = si
                }
            }
        }
    }
}
