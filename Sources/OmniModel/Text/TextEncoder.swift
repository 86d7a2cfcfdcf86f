import Foundation
import OmniTensor

/// The prompt encoder: all-MiniLM-L6-v2 (WordPiece tokenizer + 6-layer BERT, hidden width 384) read from the
/// cache folder that `make bootstrap` fills (`EncoderCache.miniLMDirectory()`); nothing downloads at run time.
///
/// - `tokenStates` gives the last hidden states, one row of `hiddenSize` (384) per token, `[CLS]` and `[SEP]`
///   included — the DiT's text tokens.
/// - `sentenceEmbedding` gives sentence-transformers' embedding: hidden states mean-pooled over the real
///   tokens, L2-normalised (unit length, 384 values).
///
/// Inference only: weights are F32 and frozen, nothing records onto a tape. The encoder is immutable after
/// `load`, and every call allocates its own activations, so calls may run concurrently.
public final class TextEncoder: @unchecked Sendable {
    /// The name used in messages.
    public static let name = "all-MiniLM-L6-v2"
    /// Files `load` needs in the cache folder.
    public static let requiredFiles = ["config.json", "vocab.txt", "model.safetensors"]

    public let tokenizer: WordPieceTokenizer
    public let model: BertModel
    /// Where the weights were read from.
    public let directory: URL

    /// Hidden width: channels per token state (384).
    public var hiddenSize: Int { model.config.hiddenSize }
    /// The most tokens one text can have (`[CLS]`/`[SEP]` included): the position table's length (512).
    public var maxTokens: Int { model.config.maxPositionEmbeddings }

    public init(tokenizer: WordPieceTokenizer, model: BertModel, directory: URL) {
        self.tokenizer = tokenizer
        self.model = model
        self.directory = directory
    }

    /// Loads config, vocabulary and weights from `cacheDirectory` (default: the MiniLM folder of the cache
    /// root). A missing folder or file throws `.missingEncoder` naming the expected path (and `make bootstrap`);
    /// unreadable or mismatching files throw `.invalidModel` / `.checkpoint`.
    public static func load(cacheDirectory: URL = EncoderCache.miniLMDirectory()) throws(ModelError) -> TextEncoder {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: cacheDirectory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .missingEncoder(name: name, path: cacheDirectory.path)
        }
        for file in requiredFiles {
            let path = cacheDirectory.appendingPathComponent(file).path
            guard fm.fileExists(atPath: path) else { throw .missingEncoder(name: name, path: path) }
        }
        let config = try BertConfig.load(path: cacheDirectory.appendingPathComponent("config.json").path)
        let tokenizer = try WordPieceTokenizer(vocabularyFile: cacheDirectory.appendingPathComponent("vocab.txt").path)
        guard tokenizer.vocabularySize == config.vocabSize else {
            throw .invalidModel(path: cacheDirectory.appendingPathComponent("vocab.txt").path,
                                reason: "\(tokenizer.vocabularySize) tokens, config.json says \(config.vocabSize)")
        }
        let model = BertModel(config)
        let weights = cacheDirectory.appendingPathComponent("model.safetensors").path
        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: weights) } catch { throw .checkpoint(.read(error)) }
        do { try model.load(from: file) } catch { throw .checkpoint(error) }
        return TextEncoder(tokenizer: tokenizer, model: model, directory: cacheDirectory)
    }

    /// Last hidden states of `text`, `[L, hiddenSize]`, L = its token count truncated to `maxTokens`
    /// (`[CLS]` … `[SEP]`, 2 ≤ L ≤ min(maxTokens, 512)).
    public func tokenStates(_ text: String, maxTokens: Int = WordPieceTokenizer.defaultMaxLength) -> Tensor {
        tokenStates([text], maxTokens: maxTokens)[0]
    }

    /// Last hidden states of each text, `[L_i, hiddenSize]`, computed as one padded batch (padding keys
    /// masked, so each equals `tokenStates(text)` up to rounding).
    public func tokenStates(_ texts: [String], maxTokens: Int = WordPieceTokenizer.defaultMaxLength) -> [Tensor] {
        let batch = encode(texts, maxTokens: maxTokens)
        let l = batch.states.shape[1], width = hiddenSize
        return batch.lengths.enumerated().map { b, n in
            let t = Tensor(uninitialized: [n, width])
            t.data.update(from: batch.states.data + b * l * width, count: n * width)
            return t
        }
    }

    /// A padded batch of encoded texts.
    public struct Batch {
        /// `[B, L, hiddenSize]`, L = the longest text's token count; rows past `lengths[b]` are padding
        /// with unspecified values.
        public let states: Tensor
        /// Real tokens of each text (`[CLS]` and `[SEP]` included).
        public let lengths: [Int]
        /// The padded token ids, `[B][L]` (`[PAD]` = 0).
        public let ids: [[Int]]
    }

    /// Tokenizes (each text truncated to `maxTokens` tokens), pads to the longest and runs the encoder once.
    public func encode(_ texts: [String], maxTokens: Int = WordPieceTokenizer.defaultMaxLength) -> Batch {
        precondition(!texts.isEmpty, "encode needs at least one text")
        let limit = min(maxTokens, self.maxTokens)
        let encodings = tokenizer.encodeBatch(texts, maxLength: limit)
        let lengths = encodings.map(\.length)
        let states = model(ids: encodings.flatMap(\.ids), lengths: lengths)
        return Batch(states: states, lengths: lengths, ids: encodings.map(\.ids))
    }

    /// The sentence embedding of `text` (mean of the token states over the attention mask, L2-normalised):
    /// `hiddenSize` values of unit length.
    public func sentenceEmbedding(_ text: String, maxTokens: Int = WordPieceTokenizer.defaultMaxLength) -> [Float] {
        sentenceEmbeddings([text], maxTokens: maxTokens)[0]
    }

    /// Sentence embeddings of several texts, computed as one padded batch.
    public func sentenceEmbeddings(_ texts: [String], maxTokens: Int = WordPieceTokenizer.defaultMaxLength) -> [[Float]] {
        let batch = encode(texts, maxTokens: maxTokens)
        let l = batch.states.shape[1], width = hiddenSize
        return batch.lengths.enumerated().map { b, n in
            var sum = [Double](repeating: 0, count: width)
            let base = batch.states.data + b * l * width
            for t in 0..<n { for j in 0..<width { sum[j] += Double(base[t * width + j]) } }
            let mean = sum.map { $0 / Double(n) }
            let norm = max(mean.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
            return mean.map { Float($0 / norm) }
        }
    }
}
