import Foundation
import OmniMedia
import OmniTensor

/// Whisper tiny.en's audio encoder, from the CTranslate2 weights `make bootstrap` puts in the cache
/// (`whisper-tiny.en/model.bin`; F16 weights widened to Float32 once at load). Inference only.
///
/// Input: one 30 s window's log-mel, `[3000, 80]` (100 frames per second; `logMel(samples:)` makes it, with
/// Whisper's zero padding). Output: `[1500, 384]` encoder states, 50 per second. Layers: `conv1` (80 → 384, kernel 3,
/// padding 1) + GELU, `conv2` (384 → 384, kernel 3, stride 2, padding 1) + GELU, + the position encodings, 4 pre-norm
/// blocks (LayerNorm ε 1e-5, 6-head self-attention with fused QKV, LayerNorm, 384 → 1536 → 384 MLP with GELU),
/// final LayerNorm. GELU is the exact (erf) form.
public final class WhisperEncoder: @unchecked Sendable {
    /// Samples per second of the input audio, and seconds per window.
    public static let sampleRate = 16_000, windowSeconds = 30
    /// Encoder states per second of audio.
    public static let statesPerSecond = 50
    public static let folder = "whisper-tiny.en"

    struct Block {
        let attentionNorm: (Tensor, Tensor), qkv: (Tensor, Tensor), out: (Tensor, Tensor)
        let mlpNorm: (Tensor, Tensor), mlpIn: (Tensor, Tensor), mlpOut: (Tensor, Tensor)
    }

    public let width: Int
    public let heads: Int
    let conv1: (weight: Tensor, bias: Tensor), conv2: (weight: Tensor, bias: Tensor)
    let positions: Tensor
    let blocks: [Block]
    let finalNorm: (Tensor, Tensor)
    /// The linears' weights prepared once for the direct rows (they never change: nothing trains this encoder).
    let rows: LinearRows

    /// Reads the encoder from a CTranslate2 Whisper model file; throws naming the file and the variable.
    public init(file: CTranslate2File) throws(ModelError) {
        let heads = try file.integer("encoder/num_heads")
        guard let conv = file.variables["encoder/conv1/weight"], conv.shape.count == 3, conv.shape[1] == 80, conv.shape[2] == 3,
              heads > 0, conv.shape[0] % heads == 0 else {
            throw .invalidModel(path: file.path, reason: "not a Whisper encoder (encoder/conv1/weight, encoder/num_heads)")
        }
        let d = conv.shape[0]
        width = d
        self.heads = heads
        func pair(_ prefix: String, _ shape: [Int]) throws(ModelError) -> (Tensor, Tensor) {
            (try file.tensor(prefix + "/weight", shape: shape), try file.tensor(prefix + "/bias", shape: [shape[0]]))
        }
        func norm(_ prefix: String) throws(ModelError) -> (Tensor, Tensor) {
            (try file.tensor(prefix + "/gamma", shape: [d]), try file.tensor(prefix + "/beta", shape: [d]))
        }
        // Convolution kernels [Cout, Cin, 3] used as [Cout, Cin·3] against (channel, tap) columns.
        let c1 = try pair("encoder/conv1", [d, 80, 3]), c2 = try pair("encoder/conv2", [d, d, 3])
        conv1 = (c1.0.reshaped([d, 240]), c1.1)
        conv2 = (c2.0.reshaped([d, 3 * d]), c2.1)
        positions = try file.tensor("encoder/position_encodings/encodings", shape: [1500, d])
        var blocks: [Block] = []
        var i = 0
        while file.variables["encoder/layer_\(i)/ffn/linear_0/weight"] != nil {
            let p = "encoder/layer_\(i)/"
            blocks.append(Block(attentionNorm: try norm(p + "self_attention/layer_norm"),
                                qkv: try pair(p + "self_attention/linear_0", [3 * d, d]),
                                out: try pair(p + "self_attention/linear_1", [d, d]),
                                mlpNorm: try norm(p + "ffn/layer_norm"),
                                mlpIn: try pair(p + "ffn/linear_0", [4 * d, d]),
                                mlpOut: try pair(p + "ffn/linear_1", [d, 4 * d])))
            i += 1
        }
        guard !blocks.isEmpty else { throw .invalidModel(path: file.path, reason: "no encoder layers") }
        self.blocks = blocks
        finalNorm = try norm("encoder/layer_norm")
        rows = LinearRows(weights: [conv1.weight, conv2.weight] + blocks.flatMap { [$0.qkv.0, $0.out.0, $0.mlpIn.0, $0.mlpOut.0] })
    }

    /// The encoder from the project cache (`make bootstrap` fetches it).
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ModelError) -> WhisperEncoder {
        let path = EncoderCache.directory(folder, environment: environment).appendingPathComponent("model.bin").path
        return try WhisperEncoder(file: try CTranslate2File(path: path))
    }

    /// Whisper's log-mel of up to 30 s of 16 kHz mono samples: zero-padded to 30 s, `[3000, 80]`.
    public static func logMel(samples: [Float]) -> Tensor {
        let n = sampleRate * windowSeconds
        precondition(samples.count <= n, "a Whisper window holds at most \(windowSeconds) s (\(n) samples), got \(samples.count)")
        var padded = samples
        padded.append(contentsOf: [Float](repeating: 0, count: n - samples.count))
        let spectrogram = LogMelAnalyzer.whisper.spectrogram(of: padded)
        // 3001 rows; Whisper's own code drops the last one.
        return Tensor(Array(spectrogram.values[0..<(3000 * 80)]), shape: [3000, 80])
    }

    /// `[3000, 80]` log-mel → `[1500, width]` states.
    public func callAsFunction(_ logMel: Tensor) -> Tensor {
        precondition(logMel.shape == [3000, 80], "WhisperEncoder wants one 30 s window's log-mel [3000, 80], got \(logMel.shape)")
        return rows.run { encode(logMel) }
    }

    private func encode(_ logMel: Tensor) -> Tensor {
        var x = Self.convolution(logMel, conv1, stride: 1).gelu(.erf)
        x = Self.convolution(x, conv2, stride: 2).gelu(.erf) + positions
        let d = width, l = x.shape[0]
        for b in blocks {
            let h = x.layerNorm(weight: b.attentionNorm.0, bias: b.attentionNorm.1, epsilon: 1e-5)
            let parts = h.linear(b.qkv.0, b.qkv.1).reshaped([l, 3, heads, d / heads]).split([1, 1, 1], axis: 1)
            let a = Tensor.attention(query: parts[0].reshaped([l, heads, d / heads]), key: parts[1].reshaped([l, heads, d / heads]),
                                     value: parts[2].reshaped([l, heads, d / heads]))
            x = x + a.reshaped([l, d]).linear(b.out.0, b.out.1)
            let m = x.layerNorm(weight: b.mlpNorm.0, bias: b.mlpNorm.1, epsilon: 1e-5)
            x = x + m.linear(b.mlpIn.0, b.mlpIn.1).gelu(.erf).linear(b.mlpOut.0, b.mlpOut.1)
        }
        return x.layerNorm(weight: finalNorm.0, bias: finalNorm.1, epsilon: 1e-5)
    }

    /// A kernel-3, padding-1 1-D convolution over time of `[T, Cin]` with `(weight [Cout, Cin·3], bias)`, columns
    /// ordered (channel, tap) as the kernel is stored: `[T', Cout]` with T' = (T − 1) / stride + 1.
    static func convolution(_ x: Tensor, _ conv: (weight: Tensor, bias: Tensor), stride: Int) -> Tensor {
        let t = x.shape[0], c = x.shape[1], out = (t - 1) / stride + 1
        let columns = Tensor(zeros: [out, c * 3])
        let src = x.data, dst = columns.data
        ComputeThreads.parallelFor(out, grain: max(1, 4096 / (3 * c))) { range in
            for o in range {
                for tap in 0..<3 {
                    let s = o * stride + tap - 1
                    guard s >= 0, s < t else { continue }
                    let row = src + s * c, col = dst + o * 3 * c + tap
                    for ch in 0..<c { col[3 * ch] = row[ch] }
                }
            }
        }
        return columns.linear(conv.weight, conv.bias)
    }
}
