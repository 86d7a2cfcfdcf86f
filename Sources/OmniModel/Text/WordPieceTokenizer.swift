import Foundation

/// BERT's uncased WordPiece tokenizer, matching Hugging Face `tokenizers` (`BertNormalizer` with clean text,
/// Chinese-character splitting, accent stripping and lowercasing; `BertPreTokenizer`; `WordPiece` with `##`
/// continuations, `[UNK]`, at most 100 characters a word; `[CLS] … [SEP]`) for all-MiniLM-L6-v2.
///
/// Ids are line indices of `vocab.txt`. Lengths count tokens (ids), `[CLS]` and `[SEP]` included.
/// All work is on Unicode scalars and vocabulary lookups compare UTF-8 bytes, as the Rust implementation
/// does (Swift `String` equality would treat canonically equivalent spellings as equal).
///
/// Special-token strings written literally in the text (`[CLS]`, `[SEP]`, `[PAD]`, `[UNK]`, `[MASK]`) become
/// their ids, as HF's added-token matching does. Immutable and `Sendable`.
public struct WordPieceTokenizer: Sendable {
    /// One tokenized text.
    public struct Encoding: Sendable, Equatable {
        /// Token ids, `[CLS]` first and `[SEP]` last, then `[PAD]` (0) when padded.
        public var ids: [Int]
        /// 1 for real tokens (`[CLS]` and `[SEP]` included), 0 for padding; same count as `ids`.
        public var attentionMask: [Int]

        /// Number of real (unpadded) tokens.
        public var length: Int { attentionMask.reduce(0, +) }

        /// This encoding padded with `[PAD]` (id `padID`) and mask 0 up to `count` tokens (no-op if longer).
        public func padded(to count: Int, padID: Int = 0) -> Encoding {
            let extra = max(0, count - ids.count)
            return Encoding(ids: ids + Array(repeating: padID, count: extra),
                            attentionMask: attentionMask + Array(repeating: 0, count: extra))
        }
    }

    /// The tokenizer.json default: at most 128 tokens, `[CLS]` and `[SEP]` included.
    public static let defaultMaxLength = 128
    /// Words longer than this many characters (Unicode scalars) become one `[UNK]`.
    public static let maxCharactersPerWord = 100

    /// Token strings by id.
    public let vocabulary: [String]
    public let clsID: Int
    public let sepID: Int
    public let padID: Int
    public let unknownID: Int

    private let ids: [[UInt8]: Int]
    /// The longest vocabulary entry, in scalars (bounds the greedy search).
    private let longestToken: Int
    /// Special tokens matched in the raw text, longest first.
    private let specials: [(scalars: [Unicode.Scalar], id: Int)]

    /// A tokenizer over `vocabulary` (token string of each id). It must hold `[CLS]`, `[SEP]`, `[PAD]` and
    /// `[UNK]`; the first occurrence of a duplicated token wins.
    public init(vocabulary: [String]) throws(ModelError) {
        var ids: [[UInt8]: Int] = [:]
        ids.reserveCapacity(vocabulary.count)
        var longest = 0
        for (i, token) in vocabulary.enumerated() {
            let key = Array(token.utf8)
            if ids[key] == nil { ids[key] = i }
            longest = max(longest, token.unicodeScalars.count)
        }
        func special(_ name: String) throws(ModelError) -> Int {
            guard let id = ids[Array(name.utf8)] else {
                throw .invalidModel(path: "vocabulary", reason: "the WordPiece vocabulary has no \(name) token")
            }
            return id
        }
        self.vocabulary = vocabulary
        self.ids = ids
        self.longestToken = longest
        self.clsID = try special("[CLS]")
        self.sepID = try special("[SEP]")
        self.padID = try special("[PAD]")
        self.unknownID = try special("[UNK]")
        self.specials = ["[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]"]
            .compactMap { name in ids[Array(name.utf8)].map { (Array(name.unicodeScalars), $0) } }
    }

    /// Reads `vocab.txt`: one token a line, id = line index (trailing whitespace and a final empty line dropped).
    public init(vocabularyFile path: String) throws(ModelError) {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .invalidModel(path: path, reason: "cannot read the WordPiece vocabulary: \(error.localizedDescription)")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            var s = Substring(line)
            while let last = s.unicodeScalars.last, last.properties.isWhitespace { s = s.dropLast() }
            return String(s)
        }
        if lines.last == "" { lines.removeLast() }
        do { try self.init(vocabulary: lines) } catch {
            throw .invalidModel(path: path, reason: "\(error)")
        }
    }

    /// The number of ids.
    public var vocabularySize: Int { vocabulary.count }

    // MARK: Encoding

    /// `[CLS] wordpieces… [SEP]`, the wordpieces truncated so that at most `maxLength` tokens remain
    /// (`[SEP]` is always kept). `maxLength` must be at least 2. Attention mask all ones.
    public func encode(_ text: String, maxLength: Int = WordPieceTokenizer.defaultMaxLength) -> Encoding {
        precondition(maxLength >= 2, "maxLength must leave room for [CLS] and [SEP], got \(maxLength)")
        let pieces = tokenIDs(text).prefix(maxLength - 2)
        let ids = [clsID] + pieces + [sepID]
        return Encoding(ids: ids, attentionMask: Array(repeating: 1, count: ids.count))
    }

    /// Each text encoded, then padded with `[PAD]` to the longest (mask 0 on padding).
    public func encodeBatch(_ texts: [String], maxLength: Int = WordPieceTokenizer.defaultMaxLength) -> [Encoding] {
        let encodings = texts.map { encode($0, maxLength: maxLength) }
        let longest = encodings.map(\.ids.count).max() ?? 0
        return encodings.map { $0.padded(to: longest, padID: padID) }
    }

    /// The wordpiece ids of `text`, without `[CLS]`/`[SEP]` and without truncation.
    public func tokenIDs(_ text: String) -> [Int] {
        var out: [Int] = []
        for segment in splitSpecialTokens(Array(text.unicodeScalars)) {
            switch segment {
            case .special(let id): out.append(id)
            case .text(let scalars):
                for word in Self.preTokenize(Self.normalize(scalars)) { appendWordPieces(word, to: &out) }
            }
        }
        return out
    }

    /// The token strings of `ids` (for debugging and tests).
    public func tokens(_ ids: [Int]) -> [String] {
        ids.map { $0 >= 0 && $0 < vocabulary.count ? vocabulary[$0] : "<\($0)>" }
    }

    // MARK: Stages

    /// The BERT normaliser: clean text (drop NUL, U+FFFD and control/format/unassigned characters; whitespace
    /// → space), surround CJK ideographs with spaces, strip accents (NFD, drop nonspacing marks), lowercase.
    public static func normalize(_ text: String) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: normalize(Array(text.unicodeScalars)))
        return String(view)
    }

    /// The BERT pre-tokeniser: split on whitespace, and every punctuation character is a word of its own.
    public static func preTokenize(_ text: String) -> [String] {
        preTokenize(Array(text.unicodeScalars)).map { word in
            var view = String.UnicodeScalarView()
            view.append(contentsOf: word)
            return String(view)
        }
    }

    static func normalize(_ input: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var cleaned: [Unicode.Scalar] = []
        cleaned.reserveCapacity(input.count)
        var ascii = true
        for s in input {
            if s.value == 0 || s.value == 0xFFFD || isControl(s) { continue }
            if isWhitespace(s) { cleaned.append(" "); continue }
            if isChineseCharacter(s) {
                cleaned.append(" "); cleaned.append(s); cleaned.append(" ")
            } else {
                cleaned.append(s)
            }
            if !s.isASCII { ascii = false }
        }
        var stripped: [Unicode.Scalar]
        if ascii {
            stripped = cleaned
        } else {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: cleaned)
            stripped = String(view).decomposedStringWithCanonicalMapping.unicodeScalars
                .filter { $0.properties.generalCategory != .nonspacingMark }
        }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(stripped.count)
        for s in stripped {
            if s.isASCII {
                out.append(s.value >= 65 && s.value <= 90 ? Unicode.Scalar(s.value + 32)! : s)
            } else {
                out.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return out
    }

    static func preTokenize(_ text: [Unicode.Scalar]) -> [ArraySlice<Unicode.Scalar>] {
        var words: [ArraySlice<Unicode.Scalar>] = []
        var start = 0
        for (i, s) in text.enumerated() {
            let space = isWhitespace(s), punct = !space && isPunctuation(s)
            guard space || punct else { continue }
            if start < i { words.append(text[start..<i]) }
            if punct { words.append(text[i..<(i + 1)]) }
            start = i + 1
        }
        if start < text.count { words.append(text[start...]) }
        return words
    }

    /// Greedy longest-match-first WordPiece of one word; a word with an unmatched remainder, or longer than
    /// `maxCharactersPerWord`, is a single `[UNK]`.
    func appendWordPieces(_ word: ArraySlice<Unicode.Scalar>, to out: inout [Int]) {
        let chars = Array(word)
        if chars.count > Self.maxCharactersPerWord { out.append(unknownID); return }
        var pieces: [Int] = []
        var start = 0
        while start < chars.count {
            var found: Int?
            var end = min(chars.count, start + longestToken)
            while end > start {
                var key: [UInt8] = start > 0 ? [35, 35] : []   // "##"
                for s in chars[start..<end] { key.append(contentsOf: UTF8.encode(s)!) }
                if let id = ids[key] { found = id; break }
                end -= 1
            }
            guard let id = found else { out.append(unknownID); return }
            pieces.append(id)
            start = end
        }
        out.append(contentsOf: pieces)
    }

    private enum Segment { case text([Unicode.Scalar]), special(Int) }

    /// Splits the raw text at literal special tokens (matched before normalisation, like HF added tokens).
    private func splitSpecialTokens(_ text: [Unicode.Scalar]) -> [Segment] {
        guard text.contains("[") else { return [.text(text)] }
        var segments: [Segment] = []
        var pending: [Unicode.Scalar] = []
        var i = 0
        scan: while i < text.count {
            if text[i] == "[" {
                for (pattern, id) in specials where text[i...].starts(with: pattern) {
                    if !pending.isEmpty { segments.append(.text(pending)); pending = [] }
                    segments.append(.special(id))
                    i += pattern.count
                    continue scan
                }
            }
            pending.append(text[i])
            i += 1
        }
        if !pending.isEmpty { segments.append(.text(pending)) }
        return segments
    }

    // MARK: Character classes (as in HF tokenizers' bert normaliser and pre-tokeniser)

    /// Tab, newline, carriage return, and every `White_Space` character.
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s == " " || s == "\t" || s == "\n" || s == "\r" || s.properties.isWhitespace
    }

    /// Categories Cc, Cf, Cs, Co, Cn — except tab, newline and carriage return, which count as whitespace.
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        switch s.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    /// ASCII punctuation (33–47, 58–64, 91–96, 123–126, which includes symbols such as `$ + < = > ^ ` | ~`)
    /// and every Unicode punctuation category (P*).
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default: return false
        }
    }

    /// CJK ideograph blocks, as HF tokenizers lists them (Extension E starts at 0x2B920 there).
    static func isChineseCharacter(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default: return false
        }
    }
}
