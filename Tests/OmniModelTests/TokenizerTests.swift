import XCTest
@testable import OmniModel

/// WordPiece tokenizer: the REFERENCES.md goldens and more cases against the real all-MiniLM-L6-v2 vocabulary
/// (skipped when `make bootstrap` has not filled the cache), plus vocabulary-independent edge cases on a tiny
/// hand-made vocabulary (always run).
///
/// The extra real-vocabulary expectations were produced by a Python transcription of HF tokenizers'
/// BertNormalizer / BertPreTokenizer / WordPiece rules over the same vocab.txt (Python's `unicodedata`).
final class TokenizerTests: XCTestCase {
    nonisolated(unsafe) static var cached: WordPieceTokenizer?

    func realTokenizer() throws -> WordPieceTokenizer {
        if let t = Self.cached { return t }
        let path = EncoderCache.miniLMDirectory().appendingPathComponent("vocab.txt").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("\(path) is missing — run `make bootstrap` to fetch all-MiniLM-L6-v2")
        }
        let t = try WordPieceTokenizer(vocabularyFile: path)
        Self.cached = t
        return t
    }

    /// [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, [MASK] 4, then a few words and pieces.
    func tinyTokenizer() throws -> WordPieceTokenizer {
        try WordPieceTokenizer(vocabulary: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
                                            "un", "##aff", "##able", "a", "##a", "!", ",", "我", "cafe", "x"])
    }

    // MARK: Real vocabulary

    func testGoldens() throws {
        let t = try realTokenizer()
        XCTAssertEqual(t.vocabularySize, 30522)
        XCTAssertEqual(t.encode("A man is eating food.").ids, [101, 1037, 2158, 2003, 5983, 2833, 1012, 102])
        XCTAssertEqual(t.encode("Héllo, naïve café!").ids, [101, 7592, 1010, 15743, 7668, 999, 102])
        XCTAssertEqual(t.encode("A man is eating food.").attentionMask, Array(repeating: 1, count: 8))
    }

    func testMoreRealVocabularyCases() throws {
        let t = try realTokenizer()
        let cases: [(String, [Int])] = [
            ("", [101, 102]),
            ("   ", [101, 102]),
            ("A person waves both arms, then jumps!", [101, 1037, 2711, 5975, 2119, 2608, 1010, 2059, 14523, 999, 102]),
            // ASCII symbols count as punctuation: $ + = ~ | ^ ` are split off.
            ("don't stop-believing (1999) $5+3=8 ~x|y^z`",
             [101, 2123, 1005, 1056, 2644, 1011, 8929, 1006, 2639, 1007, 1002, 1019, 1009, 1017, 1027, 1022,
              1066, 1060, 1064, 1061, 1034, 1062, 1036, 102]),
            // Each CJK ideograph is its own word; 爱 and 门 are not in the vocabulary.
            ("我爱北京天安门", [101, 1855, 100, 1781, 1755, 1811, 1820, 100, 102]),
            // Accents stripped; Unicode punctuation (— “ ” …) split off; ## continuations.
            ("Zoë's Ñandú — “quoted” … ok", [101, 11199, 1005, 1055, 16660, 8566, 1517, 1523, 9339, 1524, 1529, 7929, 102]),
            // Tab/newline/CR are spaces; NUL, BEL and the zero-width space (Cf) are dropped without splitting.
            ("tab\there\nnewline\r\u{0}nul\u{7}bell\u{200B}zw", [101, 21628, 2182, 2047, 4179, 16371, 20850, 5349, 2480, 2860, 102]),
            ("unaffable hyperparameterization", [101, 14477, 20961, 3468, 23760, 28689, 22828, 3989, 102]),
            ("İstanbul ΣΟΦΙΑ straße", [101, 9960, 1173, 29730, 29736, 27432, 2358, 27807, 102]),
            ("emoji 😀 test", [101, 7861, 29147, 2072, 100, 3231, 102]),
            // Literal special tokens are matched before normalisation (HF added tokens).
            ("a[SEP]b", [101, 1037, 102, 1038, 102]),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(t.encode(text).ids, expected, "\(text.debugDescription) → \(t.tokens(t.encode(text).ids))")
        }
    }

    func testTruncationKeepsSEP() throws {
        let t = try realTokenizer()
        let long = Array(repeating: "food", count: 300).joined(separator: " ")
        let e = t.encode(long)
        XCTAssertEqual(e.ids.count, 128)
        XCTAssertEqual(e.ids.first, 101)
        XCTAssertEqual(e.ids.last, 102)
        XCTAssertEqual(e.ids[126], 2833)
        XCTAssertEqual(t.encode("A man is eating food.", maxLength: 4).ids, [101, 1037, 2158, 102])
        XCTAssertEqual(t.encode("A man is eating food.", maxLength: 2).ids, [101, 102])
    }

    func testBatchPadding() throws {
        let t = try realTokenizer()
        let b = t.encodeBatch(["A man is eating food.", "Hi"])
        XCTAssertEqual(b[0].ids.count, 8)
        XCTAssertEqual(b[1].ids.count, 8)
        XCTAssertEqual(b[1].attentionMask, [1, 1, 1, 0, 0, 0, 0, 0])
        XCTAssertEqual(b[1].length, 3)
        XCTAssertEqual(Array(b[1].ids.suffix(5)), [0, 0, 0, 0, 0])
    }

    // MARK: Tiny vocabulary (no cache needed)

    func testGreedyLongestMatchAndUnknown() throws {
        let t = try tinyTokenizer()
        XCTAssertEqual(t.tokenIDs("unaffable"), [5, 6, 7])
        XCTAssertEqual(t.tokenIDs("aaa"), [8, 9, 9])
        // An unmatched remainder makes the whole word [UNK], not just the tail.
        XCTAssertEqual(t.tokenIDs("unaffablez x"), [1, 14])
        XCTAssertEqual(t.tokenIDs("zzz"), [1])
    }

    func testLongWordIsUnknown() throws {
        let t = try tinyTokenizer()
        XCTAssertEqual(t.tokenIDs(String(repeating: "a", count: 100)), [8] + Array(repeating: 9, count: 99))
        XCTAssertEqual(t.tokenIDs(String(repeating: "a", count: 150)), [1])
        XCTAssertEqual(t.encode(String(repeating: "a", count: 101) + " x").ids, [2, 1, 14, 3])
    }

    func testPunctuationAndCJKSplitting() throws {
        let t = try tinyTokenizer()
        XCTAssertEqual(t.tokenIDs("a,a!x"), [8, 11, 8, 10, 14])
        XCTAssertEqual(t.tokenIDs("x我x"), [14, 12, 14])
        XCTAssertEqual(WordPieceTokenizer.preTokenize("hi,there!! $5 (ok)"), ["hi", ",", "there", "!", "!", "$", "5", "(", "ok", ")"])
    }

    func testNormalizer() {
        XCTAssertEqual(WordPieceTokenizer.normalize("Héllo\tWORLD\u{0}\u{FFFD}\u{7}!"), "hello world!")
        XCTAssertEqual(WordPieceTokenizer.normalize("Café NAÏVE"), "cafe naive")
        XCTAssertEqual(WordPieceTokenizer.normalize("ab北c"), "ab 北 c")
        XCTAssertEqual(WordPieceTokenizer.normalize("x\u{2003}y\u{00A0}z"), "x y z")   // Unicode spaces → space
        XCTAssertEqual(WordPieceTokenizer.normalize("a\u{200D}b\u{E000}c"), "abc")      // Cf and Co dropped
    }

    func testEmptyAndSpecials() throws {
        let t = try tinyTokenizer()
        XCTAssertEqual(t.encode("").ids, [2, 3])
        XCTAssertEqual(t.encode(" \n\t ").ids, [2, 3])
        XCTAssertEqual(t.encode("[MASK] x").ids, [2, 4, 14, 3])
        XCTAssertEqual(t.encode("[mask]").ids, [2, 1, 1, 1, 3])   // "[", "mask" (unknown here), "]"
        XCTAssertThrowsError(try WordPieceTokenizer(vocabulary: ["a", "b"]))
    }
}
