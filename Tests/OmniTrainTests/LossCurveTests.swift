import Foundation
import OmniMedia
import XCTest
@testable import OmniTrain

final class LossCurveTests: XCTestCase {
    let red = RGB(255, 0, 0)

    /// Mean y of pixels of `colour` in columns `xs`.
    func meanY(_ image: RGBImage, _ colour: RGB, _ xs: Range<Int>) -> Double? {
        var sum = 0, n = 0
        for y in 0..<image.height { for x in xs where image[x, y] == colour { sum += y; n += 1 } }
        return n == 0 ? nil : Double(sum) / Double(n)
    }

    func testFallingLossDrawsDownwardLine() throws {
        let points = (0...1000).map { (step: $0, value: 10 - 0.009 * Double($0)) }
        let image = LossCurve.render(title: "Loss", series: [.init(name: "train", points: points, colour: red)],
                                     width: 640, height: 360, logScale: false)
        XCTAssertEqual(image.width, 640); XCTAssertEqual(image.height, 360)
        // Left of the legend: early steps sit high (small y), later ones low (large y).
        let early = try XCTUnwrap(meanY(image, red, 80..<320)), late = try XCTUnwrap(meanY(image, red, 320..<480))
        XCTAssertGreaterThan(late, early + 50)
        // A rising series goes the other way.
        let rising = LossCurve.render(title: "", series: [.init(name: "r", points: points.map { ($0.step, 11 - $0.value) }, colour: red)], logScale: false)
        XCTAssertLessThan(try XCTUnwrap(meanY(rising, red, 320..<480)), try XCTUnwrap(meanY(rising, red, 80..<320)) - 50)
    }

    func testLogTicks() {
        func near(_ a: [Double], _ b: [Double]) -> Bool { a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-9 * abs($1) } }
        XCTAssertTrue(near(LossCurve.ticks(min: 0.01, max: 1, logScale: true), [0.01, 0.03, 0.1, 0.3, 1]))
        XCTAssertTrue(near(LossCurve.ticks(min: 0.02, max: 2.5, logScale: true), [0.01, 0.03, 0.1, 0.3, 1, 3]))
        let wide = LossCurve.ticks(min: 1e-6, max: 10, logScale: true)
        XCTAssertTrue((2...6).contains(wide.count))
        XCTAssertLessThanOrEqual(wide.first!, 1e-6 * (1 + 1e-9)); XCTAssertGreaterThanOrEqual(wide.last!, 10 * (1 - 1e-9))
        for v in wide { XCTAssertEqual(log10(v), log10(v).rounded(), accuracy: 1e-9) }
        let narrow = LossCurve.ticks(min: 0.5, max: 0.9, logScale: true)
        XCTAssertTrue(near(narrow, [0.5, 0.6, 0.7, 0.8, 0.9]), "\(narrow)")
        XCTAssertEqual(LossCurve.formatValue(0.03), "0.03")
        XCTAssertEqual(LossCurve.formatValue(3e-5), "3e-5")
        XCTAssertEqual(LossCurve.formatValue(1e6), "1e6")
    }

    func testLinearTicksAreRoundAndEncloseRange() {
        XCTAssertEqual(LossCurve.ticks(min: 0, max: 1, logScale: false), [0, 0.25, 0.5, 0.75, 1])
        for (lo, hi) in [(0.3, 9.7), (2.1, 2.2), (-5.0, 37.0), (100.0, 12345.0), (0.0, 0.0004)] {
            let t = LossCurve.ticks(min: lo, max: hi, logScale: false)
            XCTAssertTrue((4...6).contains(t.count), "\(lo)...\(hi): \(t)")
            XCTAssertLessThanOrEqual(t.first!, lo); XCTAssertGreaterThanOrEqual(t.last!, hi)
            let step = t[1] - t[0], mantissa = step / pow(10, floor(log10(step)))
            XCTAssertTrue([1, 2, 2.5, 5].contains { abs($0 - mantissa) < 1e-6 }, "step \(step)")
        }
        XCTAssertEqual(LossCurve.formatStep(0), "0")
        XCTAssertEqual(LossCurve.formatStep(500), "500")
        XCTAssertEqual(LossCurve.formatStep(1000), "1k")
        XCTAssertEqual(LossCurve.formatStep(1500), "1.5k")
        XCTAssertEqual(LossCurve.formatStep(2_000_000), "2M")
    }

    func testBadValuesAreSkipped() {
        let good: [(step: Int, value: Double)] = [(0, 2), (10, 1), (20, 0.5)]
        let bad: [(step: Int, value: Double)] = [(5, .nan), (6, .infinity), (7, -.infinity), (8, -1), (9, 0)]
        for log in [true, false] {
            let mixed = (good + bad).sorted { $0.step < $1.step }
            let a = LossCurve.render(title: "t", series: [.init(name: "s", points: log ? mixed : mixed.filter { $0.value != 0 && $0.value != -1 }, colour: red)], logScale: log)
            let b = LossCurve.render(title: "t", series: [.init(name: "s", points: good, colour: red)], logScale: log)
            XCTAssertEqual(a, b, "log \(log)")
        }
        // Only bad values draws the same as no points at all.
        let onlyBad = LossCurve.render(title: "t", series: [.init(name: "s", points: bad, colour: red)])
        XCTAssertEqual(onlyBad, LossCurve.render(title: "t", series: [.init(name: "s", points: [], colour: red)]))
    }

    func testDegenerateInputsGiveValidImages() {
        let cases: [[LossCurve.Series]] = [
            [], [.init(name: "empty", points: [], colour: red)], [.init(name: "one", points: [(3, 0.7)], colour: red)],
            [.init(name: "flat", points: [(0, 1), (0, 1)], colour: red)], [.init(name: "zero", points: [(0, 0), (9, 0)], colour: red)],
            [.init(name: "huge", points: [(0, 1e300), (1, -1e300), (Int.max, 5)], colour: red)],
        ]
        for series in cases {
            for log in [true, false] {
                let image = LossCurve.render(title: "Degenerate", series: series, width: 300, height: 200, logScale: log)
                XCTAssertEqual(image.pixels.count, 300 * 200 * 3)
                XCTAssertEqual(image[0, 0], RGB(255, 255, 255))
                XCTAssertTrue(image.pixels.contains(40), "axes drawn")
            }
        }
        XCTAssertEqual(LossCurve.render(title: "tiny", series: [], width: 1, height: 1).width, 120)
    }

    func testManyPointsRenderQuickly() {
        var rng = SystemRandomNumberGenerator()
        let points = (0..<100_000).map { (step: $0, value: 5 * exp(-Double($0) / 20_000) + Double.random(in: 0...0.3, using: &rng)) }
        let start = Date()
        let image = LossCurve.render(title: "100k", series: [.init(name: "train", points: points, colour: red)])
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        XCTAssertNotNil(meanY(image, red, 80..<400))
    }

    func testWriteIsAtomicAndDecodes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("losscurve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("loss.png").path
        let series = [LossCurve.Series(name: "train", points: (0..<50).map { ($0 * 10, 3 / Double($0 + 1)) }, colour: red),
                      LossCurve.Series(name: "val", points: (0..<5).map { ($0 * 100, 2 / Double($0 + 1)) }, colour: RGB(0, 90, 200))]
        for _ in 0..<2 {  // the second write replaces the first
            try LossCurve.write(title: "Training loss", series: series, to: path, width: 320, height: 200)
        }
        let decoded = try ImageFile.decode(path)
        XCTAssertEqual(decoded.width, 320); XCTAssertEqual(decoded.height, 200)
        XCTAssertEqual(decoded, LossCurve.render(title: "Training loss", series: series, width: 320, height: 200))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".tmp"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["loss.png"])
    }

    func testFontWidthMatchesDrawnExtent() {
        for (text, scale) in [("H3", 1), ("MW", 2), ("0.03 1e-5", 1), ("Loss (x) 50%", 3)] {
            var image = RGBImage(width: 300, height: 40, fill: RGB(255, 255, 255))
            BitmapFont.draw(text, x: 7, y: 4, colour: red, scale: scale, into: &image)
            var xs: [Int] = [], ys: [Int] = []
            for y in 0..<image.height { for x in 0..<image.width where image[x, y] == red { xs.append(x); ys.append(y) } }
            XCTAssertEqual(xs.min(), 7, text)
            XCTAssertEqual(xs.max()! - xs.min()! + 1, BitmapFont.width(of: text, scale: scale), text)
            XCTAssertLessThanOrEqual(ys.max()! - ys.min()! + 1, 7 * scale, text)
        }
        XCTAssertEqual(BitmapFont.width(of: ""), 0)
        XCTAssertEqual(BitmapFont.glyph("€"), BitmapFont.box)
        // Every letter and digit has its own glyph; every glyph is 7 rows of 5 columns.
        let letters = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-+e:/()% "
        XCTAssertTrue(letters.allSatisfy { BitmapFont.glyphs[$0] != nil })
        XCTAssertEqual(Set(letters.map { BitmapFont.glyph($0) }).count, Set(letters).count, "no two glyphs alike")
        for (ch, rows) in BitmapFont.glyphs {
            XCTAssertEqual(rows.count, 7, String(ch)); XCTAssertTrue(rows.allSatisfy { $0 < 32 }, String(ch))
        }
        // Clipping: drawing partly off the image does not crash.
        var small = RGBImage(width: 4, height: 4)
        BitmapFont.draw("Hello", x: -3, y: -2, colour: red, scale: 2, into: &small)
    }
}
