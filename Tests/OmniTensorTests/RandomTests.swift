import Foundation
import XCTest
@testable import OmniTensor

final class RandomTests: XCTestCase {
    func testPhiloxKnownAnswers() {
        // Random123 kat_vectors for philox4x32_10.
        XCTAssertEqual(Philox4x32.block(counter: SIMD4(0, 0, 0, 0), key: SIMD2(0, 0)),
                       SIMD4(0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8))
        XCTAssertEqual(Philox4x32.block(counter: SIMD4(repeating: 0xFFFF_FFFF), key: SIMD2(repeating: 0xFFFF_FFFF)),
                       SIMD4(0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD))
        XCTAssertEqual(Philox4x32.block(counter: SIMD4(0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344),
                                        key: SIMD2(0xA409_3822, 0x299F_31D0)),
                       SIMD4(0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1))
    }

    /// The values `python/omnitorch/random_stream.py` computes (its test holds the same constants), so PyTorch can
    /// draw the noise a generation draws: a split stream's id, normals at an offset and past a block boundary, words.
    func testNormalsMatchTheReferenceImplementation() {
        let split = RandomStream(seed: 31337).split(2)
        XCTAssertEqual(split.stream, 15_080_921_988_137_061_075)
        XCTAssertEqual((3..<13).map { split.normal(at: UInt64($0)).bitPattern },
                       [0xBE11_7535, 0xBF62_4C6A, 0x3E97_6563, 0xBF94_679F, 0x3F3C_4E91,
                        0xBE44_90EA, 0x3FA7_2026, 0xBFA7_5193, 0x3EBB_B528, 0x3FB0_78F1])
        XCTAssertEqual((1_000_001..<1_000_004).map { split.normal(at: UInt64($0)).bitPattern }, [0x3D76_D534, 0x3EDE_7678, 0x3F60_72B3])
        XCTAssertEqual((2..<7).map { RandomStream(seed: 0xDEAD_BEEF, stream: 7).word(at: UInt64($0)) },
                       [0xA96F_8153, 0xB6C6_9082, 0x8913_12C3, 0xECAF_EDBA, 0x393D_090A])
    }

    func testStatefulDrawsMatchIndexedValues() {
        var r = RandomStream(seed: 42, stream: 3)
        let words = (0..<11).map { _ in r.nextUInt32() }
        XCTAssertEqual(words, (0..<11).map { RandomStream(seed: 42, stream: 3).word(at: UInt64($0)) })
        XCTAssertEqual(r.wordPosition, 11)
        let u = r.uniform()
        XCTAssertEqual(u, r.uniform(at: 11))
        var normals = [Float]()
        for _ in 0..<9 { normals.append(r.normal()) }
        var filled = [Float](repeating: 0, count: 9)
        filled.withUnsafeMutableBufferPointer { RandomStream(seed: 42, stream: 3).fillNormal($0) }
        XCTAssertEqual(normals, filled)
        XCTAssertEqual(normals, (0..<9).map { r.normal(at: UInt64($0)) })
        var uniforms = [Float](repeating: 0, count: 5)
        uniforms.withUnsafeMutableBufferPointer { r.fillUniform($0, startingAt: r.wordPosition) }
        XCTAssertEqual(uniforms, (0..<5).map { _ in r.uniform() })
    }

    /// Chunked fills at arbitrary offsets, in any order and on several threads, equal one fill in one go.
    func testChunkedAndParallelFillsEqualOneFill() {
        let stream = RandomStream(seed: 0xDEAD_BEEF, stream: 7)
        let n = 10_007
        var whole = [Float](repeating: 0, count: n)
        whole.withUnsafeMutableBufferPointer { stream.fillNormal($0, startingAt: 5, mean: 1, std: 2) }
        var chunked = [Float](repeating: .nan, count: n)
        var sizer = RandomStream(seed: 1)
        var chunks: [Range<Int>] = []
        var start = 0
        while start < n {
            let size = min(n - start, 1 + Int(sizer.nextUInt32() % 37))
            chunks.append(start..<(start + size))
            start += size
        }
        chunked.withUnsafeMutableBufferPointer { buffer in
            for c in chunks.reversed() {  // later segments first
                stream.fillNormal(UnsafeMutableBufferPointer(rebasing: buffer[c]), startingAt: 5 + UInt64(c.lowerBound), mean: 1, std: 2)
            }
        }
        XCTAssertEqual(whole, chunked)

        var parallel = [Float](repeating: .nan, count: n)
        parallel.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let base = buffer
            DispatchQueue.concurrentPerform(iterations: 7) { k in
                let lo = k * n / 7, hi = (k + 1) * n / 7
                stream.fillNormal(UnsafeMutableBufferPointer(rebasing: base[lo..<hi]), startingAt: 5 + UInt64(lo), mean: 1, std: 2)
            }
        }
        XCTAssertEqual(whole, parallel)

        var u1 = [Float](repeating: 0, count: 1000), u2 = [Float](repeating: 0, count: 1000)
        u1.withUnsafeMutableBufferPointer { stream.fillUniform($0, startingAt: 3, low: -1, high: 1) }
        u2.withUnsafeMutableBufferPointer { b in
            stream.fillUniform(UnsafeMutableBufferPointer(rebasing: b[500...]), startingAt: 503, low: -1, high: 1)
            stream.fillUniform(UnsafeMutableBufferPointer(rebasing: b[..<500]), startingAt: 3, low: -1, high: 1)
        }
        XCTAssertEqual(u1, u2)
    }

    func testNormalAndUniformStatistics() {
        let n = 100_000
        var z = [Float](repeating: 0, count: n)
        z.withUnsafeMutableBufferPointer { RandomStream(seed: 2024).fillNormal($0) }
        let mean = z.reduce(0.0) { $0 + Double($1) } / Double(n)
        let variance = z.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(n - 1)
        XCTAssertEqual(mean, 0, accuracy: 0.02)
        XCTAssertEqual(variance.squareRoot(), 1, accuracy: 0.01)
        let withinOne = Double(z.filter { abs($0) < 1 }.count) / Double(n)
        XCTAssertEqual(withinOne, 0.6827, accuracy: 0.01)
        XCTAssertTrue(z.allSatisfy(\.isFinite))

        var u = [Float](repeating: 0, count: n)
        u.withUnsafeMutableBufferPointer { RandomStream(seed: 2024).fillUniform($0) }
        XCTAssertTrue(u.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(u.reduce(0.0) { $0 + Double($1) } / Double(n), 0.5, accuracy: 0.01)
        var buckets = [Int](repeating: 0, count: 10)
        for x in u { buckets[Int(x * 10)] += 1 }
        XCTAssertTrue(buckets.allSatisfy { abs($0 - n / 10) < n / 100 }, "\(buckets)")
    }

    func testSeedsStreamsAndSplitsDiffer() {
        func first(_ r: RandomStream) -> [UInt32] { (0..<64).map { r.word(at: $0) } }
        let base = RandomStream(seed: 1)
        let variants = [base, RandomStream(seed: 2), RandomStream(seed: 1, stream: 1), RandomStream(seed: 1 << 32),
                        base.split(0), base.split(1), base.split(1).split(0), RandomStream(seed: 2).split(1)]
        let outputs = variants.map(first)
        for i in outputs.indices {
            for j in outputs.indices where j > i {
                XCTAssertNotEqual(outputs[i], outputs[j], "\(i) vs \(j)")
                XCTAssertLessThan(zip(outputs[i], outputs[j]).filter { $0 == $1 }.count, 2)
            }
        }
        XCTAssertEqual(base.split(9), RandomStream(seed: 1).split(9))
        XCTAssertEqual(base.split(9).seed, 1)
    }

    func testStateRoundTripsThroughCodable() throws {
        var r = RandomStream(seed: UInt64.max - 1, stream: UInt64.max - 2).split(UInt64.max)
        for _ in 0..<13 { _ = r.nextUInt32() }
        for _ in 0..<5 { _ = r.normal() }
        let data = try JSONEncoder().encode(r)
        var restored = try JSONDecoder().decode(RandomStream.self, from: data)
        XCTAssertEqual(restored, r)
        XCTAssertEqual((0..<10).map { _ in restored.nextUInt64() }, (0..<10).map { _ in r.nextUInt64() })
        XCTAssertEqual((0..<10).map { _ in restored.normal() }, (0..<10).map { _ in r.normal() })
    }
}
