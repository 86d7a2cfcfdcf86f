import Foundation
import OmniTensor

/// The `config.json` of a Hugging Face BERT checkpoint (the fields this encoder uses).
public struct BertConfig: Codable, Sendable, Equatable {
    public var vocabSize: Int
    /// Hidden width (channels per token): 384 for MiniLM-L6.
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    /// Feed-forward width: 1536 for MiniLM-L6.
    public var intermediateSize: Int
    /// Longest sequence, in tokens (rows of the position table).
    public var maxPositionEmbeddings: Int
    public var typeVocabSize: Int
    public var layerNormEps: Double
    /// Only "gelu" (exact erf) is supported.
    public var hiddenAct: String

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", intermediateSize = "intermediate_size"
        case maxPositionEmbeddings = "max_position_embeddings", typeVocabSize = "type_vocab_size"
        case layerNormEps = "layer_norm_eps", hiddenAct = "hidden_act"
    }

    /// all-MiniLM-L6-v2: 6 layers, hidden 384, 12 heads, FFN 1536, 512 positions, eps 1e-12.
    public static let miniLML6 = BertConfig(
        vocabSize: 30522, hiddenSize: 384, numHiddenLayers: 6, numAttentionHeads: 12, intermediateSize: 1536,
        maxPositionEmbeddings: 512, typeVocabSize: 2, layerNormEps: 1e-12, hiddenAct: "gelu")

    public init(vocabSize: Int, hiddenSize: Int, numHiddenLayers: Int, numAttentionHeads: Int, intermediateSize: Int,
                maxPositionEmbeddings: Int, typeVocabSize: Int, layerNormEps: Double, hiddenAct: String) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.intermediateSize = intermediateSize
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.typeVocabSize = typeVocabSize
        self.layerNormEps = layerNormEps
        self.hiddenAct = hiddenAct
    }

    /// Reads and checks `config.json`.
    public static func load(path: String) throws(ModelError) -> BertConfig {
        let config: BertConfig
        do {
            config = try JSONDecoder().decode(BertConfig.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .invalidModel(path: path, reason: "cannot read the BERT config: \(error)")
        }
        guard config.hiddenAct == "gelu" else {
            throw .invalidModel(path: path, reason: "hidden_act \(config.hiddenAct) is not supported (only gelu)")
        }
        guard config.hiddenSize > 0, config.numAttentionHeads > 0, config.hiddenSize % config.numAttentionHeads == 0,
              config.numHiddenLayers > 0, config.intermediateSize > 0, config.maxPositionEmbeddings >= 2,
              config.vocabSize > 0, config.typeVocabSize > 0 else {
            throw .invalidModel(path: path, reason: "inconsistent BERT sizes in config.json")
        }
        return config
    }
}

/// BERT input embeddings: word + position + token type (always 0), then LayerNorm. Keys `word_embeddings`,
/// `position_embeddings`, `token_type_embeddings`, `LayerNorm`.
public final class BertEmbeddings: Module {
    public let word_embeddings: Embedding
    public let position_embeddings: Embedding
    public let token_type_embeddings: Embedding
    /// Key `LayerNorm` (not a Swift property name, since it is also the type's name).
    private let layerNormSlot: ModuleKey<LayerNorm>
    public var layerNorm: LayerNorm { layerNormSlot.wrappedValue }

    public init(_ c: BertConfig) {
        word_embeddings = Embedding(c.vocabSize, c.hiddenSize)
        position_embeddings = Embedding(c.maxPositionEmbeddings, c.hiddenSize)
        token_type_embeddings = Embedding(c.typeVocabSize, c.hiddenSize)
        layerNormSlot = ModuleKey(wrappedValue: LayerNorm(c.hiddenSize, epsilon: Float(c.layerNormEps)), "LayerNorm")
    }

    /// `ids` `[B·L]` row-major → `[B, L, hidden]`; positions 0..<L, token type 0.
    public func callAsFunction(_ ids: [Int], batch: Int, length: Int) -> Tensor {
        let width = word_embeddings.weight.shape[1]
        let x = word_embeddings(ids, shape: [batch, length])
        let pos = position_embeddings.weight.data, type0 = token_type_embeddings.weight.data, xd = x.data
        for b in 0..<batch {
            for t in 0..<length {
                let row = xd + (b * length + t) * width, p = pos + t * width
                for j in 0..<width { row[j] += p[j] + type0[j] }
            }
        }
        return layerNorm(x)
    }
}

/// Query, key and value projections (`query`, `key`, `value`), HF's `attention.self`.
public final class BertSelfAttention: Module {
    public let query: Linear
    public let key: Linear
    public let value: Linear

    public init(_ c: BertConfig) {
        query = Linear(c.hiddenSize, c.hiddenSize)
        key = Linear(c.hiddenSize, c.hiddenSize)
        value = Linear(c.hiddenSize, c.hiddenSize)
    }
}

/// The projection after attention plus the residual LayerNorm (`dense`, `LayerNorm`); also the FFN's output.
public final class BertResidualOutput: Module {
    public let dense: Linear
    /// Key `LayerNorm` (not a Swift property name, since it is also the type's name).
    private let layerNormSlot: ModuleKey<LayerNorm>
    public var layerNorm: LayerNorm { layerNormSlot.wrappedValue }

    public init(inFeatures: Int, _ c: BertConfig) {
        dense = Linear(inFeatures, c.hiddenSize)
        layerNormSlot = ModuleKey(wrappedValue: LayerNorm(c.hiddenSize, epsilon: Float(c.layerNormEps)), "LayerNorm")
    }

    /// `LayerNorm(dense(x) + residual)`.
    public func callAsFunction(_ x: Tensor, residual: Tensor) -> Tensor { layerNorm(dense(x) + residual) }
}

/// HF's `attention`: keys `self.*` and `output.*`.
public final class BertAttention: Module {
    /// Key `self` (a Swift keyword).
    private let selfSlot: ModuleKey<BertSelfAttention>
    public var selfAttention: BertSelfAttention { selfSlot.wrappedValue }
    public let output: BertResidualOutput
    public let heads: Int

    public init(_ c: BertConfig) {
        selfSlot = ModuleKey(wrappedValue: BertSelfAttention(c), "self")
        output = BertResidualOutput(inFeatures: c.hiddenSize, c)
        heads = c.numAttentionHeads
    }

    /// `x` `[B, L, hidden]` → `[B, L, hidden]`; `mask` hides padding keys.
    public func callAsFunction(_ x: Tensor, mask: AttentionMask) -> Tensor {
        let b = x.shape[0], l = x.shape[1], width = x.shape[2]
        let headShape = [b, l, heads, width / heads]
        let q = selfAttention.query(x).reshaped(headShape)
        let k = selfAttention.key(x).reshaped(headShape)
        let v = selfAttention.value(x).reshaped(headShape)
        let context = Tensor.attention(query: q, key: k, value: v, mask: mask).reshaped([b, l, width])
        return output(context, residual: x)
    }
}

/// The FFN's first projection (`dense`), followed by exact-erf GELU.
public final class BertIntermediate: Module {
    public let dense: Linear

    public init(_ c: BertConfig) { dense = Linear(c.hiddenSize, c.intermediateSize) }

    public func callAsFunction(_ x: Tensor) -> Tensor { dense(x).gelu(.erf) }
}

/// One post-norm BERT block: `attention`, `intermediate`, `output`.
public final class BertLayer: Module {
    public let attention: BertAttention
    public let intermediate: BertIntermediate
    public let output: BertResidualOutput

    public init(_ c: BertConfig) {
        attention = BertAttention(c)
        intermediate = BertIntermediate(c)
        output = BertResidualOutput(inFeatures: c.intermediateSize, c)
    }

    public func callAsFunction(_ x: Tensor, mask: AttentionMask) -> Tensor {
        let h = attention(x, mask: mask)
        return output(intermediate(h), residual: h)
    }
}

/// HF's `encoder`: key `layer.N`.
public final class BertEncoder: Module {
    public let layer: [BertLayer]

    public init(_ c: BertConfig) { layer = (0..<c.numHiddenLayers).map { _ in BertLayer(c) } }
}

/// A BERT encoder (MiniLM-L6 for all-MiniLM-L6-v2) whose key paths are the HF checkpoint names, no prefix:
/// `embeddings.*` and `encoder.layer.N.*`. Forward gives the last hidden states, `[B, L, hidden]`.
///
/// The checkpoint also holds `embeddings.position_ids` (an I64 buffer, 0..<512) and `pooler.dense.*` (the
/// [CLS] pooler, unused by mean-pooled sentence embeddings); `load(from:)` skips exactly those
/// (`ignoredCheckpointKeys`) and is strict about every other key.
public final class BertModel: Module {
    public let embeddings: BertEmbeddings
    public let encoder: BertEncoder
    /// The configuration (not a checkpoint key).
    public let config: BertConfig

    /// Checkpoint keys deliberately not loaded.
    public static let ignoredCheckpointKeys: Set<String> = [
        "embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias",
    ]

    /// Zero-initialised; fill it with `load(from:)`.
    public init(_ config: BertConfig) {
        self.config = config
        embeddings = BertEmbeddings(config)
        encoder = BertEncoder(config)
    }

    /// Loads every tensor strictly (missing keys, shapes and unused keys other than `ignoredCheckpointKeys`
    /// throw), then freezes the model (`requiresGrad` false): it is inference only.
    public func load(from file: SafetensorsFile) throws(CheckpointError) {
        let expected = namedTensors()
        let keys = Set(expected.map(\.key))
        let missing = expected.map(\.key).filter { !file.contains($0) }
        let unused = file.names.filter { !keys.contains($0) && !Self.ignoredCheckpointKeys.contains($0) }
        if !missing.isEmpty || !unused.isEmpty {
            throw .keysMismatch(path: file.path, missing: missing, unused: unused)
        }
        for (key, tensor) in expected {
            let info: SafetensorsFile.TensorInfo
            do { info = try file.info(key) } catch { throw .read(error) }
            guard info.shape == tensor.shape else {
                throw .shapeMismatch(path: file.path, key: key, expected: tensor.shape, found: info.shape)
            }
            do { try file.readFloats(key, into: tensor.buffer) } catch { throw .read(error) }
        }
        setTrainable(false)
    }

    /// Last hidden states `[B, L, hidden]` of `ids` (`[B·L]` row-major, padded with any valid id) where
    /// sequence b has `lengths[b]` real tokens at the front: padding keys are masked out of attention, so the
    /// real tokens' states do not depend on padding. Padding rows hold unspecified values.
    public func callAsFunction(ids: [Int], lengths: [Int]) -> Tensor {
        let batch = lengths.count
        precondition(batch > 0 && ids.count % batch == 0, "\(ids.count) ids for a batch of \(batch)")
        let length = ids.count / batch
        precondition(length <= config.maxPositionEmbeddings, "\(length) tokens exceed \(config.maxPositionEmbeddings) positions")
        precondition(lengths.allSatisfy { $0 >= 1 && $0 <= length }, "lengths \(lengths) outside 1...\(length)")
        let mask: AttentionMask = lengths.allSatisfy { $0 == length }
            ? .none
            : .ranges(perBatch: lengths.map { [AttentionMask.RowGroup(queries: 0..<length, keys: [0..<$0])] })
        var x = embeddings(ids, batch: batch, length: length)
        for block in encoder.layer { x = block(x, mask: mask) }
        return x
    }
}
