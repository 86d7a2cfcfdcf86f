import OmniMedia
import XCTest
@testable import OmniTerminal

final class ChafaSymbolRendererTests: XCTestCase {
    let tolerance = 12.0

    func testHorizontalGradientIncreasesLeftToRightAndIsFlatVertically() {
        let grid = ChafaSymbolRenderer(colorDepth: .truecolor).render(horizontalRedGradient(), cols: 40)
        XCTAssertEqual(grid.cols, 40)
        XCTAssertEqual(grid.rows, 10)  // 40 · (64/128) · 0.5
        for row in 0..<grid.rows {
            var previous = -Double.infinity
            for col in 0..<grid.cols {
                let c = apparentColour(of: grid[col, row])
                XCTAssertGreaterThanOrEqual(c.r, previous - tolerance, "red falls at (\(col), \(row))")
                XCTAssertLessThan(c.g, tolerance); XCTAssertLessThan(c.b, tolerance)
                previous = c.r
            }
            XCTAssertLessThan(apparentColour(of: grid[0, row]).r, 30)
            XCTAssertGreaterThan(apparentColour(of: grid[grid.cols - 1, row]).r, 225)
        }
        for col in 0..<grid.cols {
            let reds = (0..<grid.rows).map { apparentColour(of: grid[col, $0]).r }
            XCTAssertLessThanOrEqual(reds.max()! - reds.min()!, tolerance, "column \(col) is not flat: \(reds)")
        }
    }

    func testVerticalGradientIncreasesTopToBottomAndIsFlatHorizontally() {
        let grid = ChafaSymbolRenderer(colorDepth: .truecolor).render(verticalGreenGradient(), cols: 40)
        XCTAssertEqual(grid.rows, 20)
        for col in 0..<grid.cols {
            var previous = -Double.infinity
            for row in 0..<grid.rows {
                let g = apparentColour(of: grid[col, row]).g
                XCTAssertGreaterThanOrEqual(g, previous - tolerance, "green falls at (\(col), \(row))")
                previous = g
            }
            XCTAssertLessThan(apparentColour(of: grid[col, 0]).g, 30)
            XCTAssertGreaterThan(apparentColour(of: grid[col, grid.rows - 1]).g, 225)
        }
        for row in 0..<grid.rows {
            let greens = (0..<grid.cols).map { apparentColour(of: grid[$0, row]).g }
            XCTAssertLessThanOrEqual(greens.max()! - greens.min()!, tolerance, "row \(row) is not flat")
        }
    }

    func testGradientSurvivesIndexedDepths() {
        for depth in [ColorDepth.indexed256, .indexed16] {
            let grid = ChafaSymbolRenderer(colorDepth: depth).render(horizontalRedGradient(), cols: 40)
            XCTAssertEqual(grid.colorDepth, depth)
            let left = apparentColour(of: grid[0, 5]).r, right = apparentColour(of: grid[39, 5]).r
            XCTAssertLessThan(left, right, "\(depth): left \(left) right \(right)")
        }
    }

    func testPortraitKeepsAspectRatio() {
        let portrait = RGBImage(width: 60, height: 120, fill: RGB(10, 200, 30))
        let grid = ChafaSymbolRenderer().render(portrait, cols: 40)
        XCTAssertEqual(grid.cols, 40)
        // rows / cols ≈ (h / w) · (cell width / cell height) = 2 · 0.5
        XCTAssertEqual(Double(grid.rows), 40 * (120.0 / 60.0) * 0.5, accuracy: 1)
    }

    func testLandscapeKeepsAspectRatio() {
        let landscape = RGBImage(width: 300, height: 100, fill: RGB(10, 200, 30))
        let grid = ChafaSymbolRenderer().render(landscape, cols: 60)
        XCTAssertEqual(grid.cols, 60)
        XCTAssertEqual(Double(grid.rows), 60 * (100.0 / 300.0) * 0.5, accuracy: 1)
    }

    func testRowsLimitFitsInsideBoxKeepingAspect() {
        let portrait = RGBImage(width: 60, height: 120, fill: RGB(0, 0, 0))
        let grid = ChafaSymbolRenderer().render(portrait, cols: 80, rows: 20)
        XCTAssertEqual(grid.rows, 20)
        XCTAssertEqual(grid.cols, 20)  // 20 rows · (60/120) / 0.5
    }

    func testSolidColourComesBackExactlyInTruecolor() {
        let colour = RGB(12, 34, 56)
        let grid = ChafaSymbolRenderer().render(RGBImage(width: 32, height: 32, fill: colour), cols: 8)
        for cell in grid.cells {
            let c = apparentColour(of: cell)
            XCTAssertEqual(c.r, 12, accuracy: 2); XCTAssertEqual(c.g, 34, accuracy: 2); XCTAssertEqual(c.b, 56, accuracy: 2)
        }
    }

    func testOddWidthsRenderWithoutSkew() {
        // Width not a multiple of 4: the RGB→RGBA conversion must keep rows aligned (chafa 1.12.4 stride bug).
        let image = RGBImage(width: 101, height: 37) { x, _ in x < 50 ? RGB(0, 0, 0) : RGB(255, 255, 255) }
        let grid = ChafaSymbolRenderer().render(image, cols: 20, rows: 10)
        for row in 0..<grid.rows {
            XCTAssertLessThan(apparentColour(of: grid[2, row]).r, 30, "row \(row)")
            XCTAssertGreaterThan(apparentColour(of: grid[grid.cols - 3, row]).r, 225, "row \(row)")
        }
    }

    func testNoColourDepthUsesSymbolsOnly() {
        let grid = ChafaSymbolRenderer(colorDepth: .none).render(horizontalRedGradient(), cols: 40)
        XCTAssertEqual(grid.colorDepth, .none)
        XCTAssertTrue(grid.cells.allSatisfy { $0.foreground == RGB(255, 255, 255) && $0.background == RGB(0, 0, 0) })
        XCTAssertFalse(grid.ansi().contains("\u{1B}"))
    }

    func testSymbolSetsStayWithinTheirCharacters() {
        let image = RGBImage(width: 64, height: 64) { x, y in (x / 8 + y / 8) % 2 == 0 ? RGB(0, 0, 0) : RGB(255, 255, 255) }
        let ascii = ChafaSymbolRenderer(symbols: .ascii).render(image, cols: 16)
        XCTAssertTrue(ascii.cells.allSatisfy { $0.character.isASCII }, ascii.plainText)
        let half = ChafaSymbolRenderer(symbols: .halfBlocks).render(image, cols: 16)
        XCTAssertTrue(half.cells.allSatisfy { " █▀▄▌▐".unicodeScalars.contains($0.character) }, half.plainText)
    }

    func testRenderingManyFramesDoesNotGrowMemory() throws {
        let renderer = ChafaSymbolRenderer()
        let frame = horizontalRedGradient(width: 64, height: 64)
        for _ in 0..<20 { _ = renderer.render(frame, cols: 40) }  // warm up allocators and chafa's caches
        let before = try residentBytes()
        for _ in 0..<200 { _ = renderer.render(frame, cols: 40) }
        let growth = try residentBytes() - before
        XCTAssertLessThan(growth, 8 << 20, "resident memory grew by \(growth) bytes over 200 frames")
    }

    private func residentBytes() throws -> Int {
        #if os(Linux)
        let statm = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8).split(separator: " ")
        return Int(statm[1])! * Int(sysconf(Int32(_SC_PAGESIZE)))
        #else
        throw XCTSkip("resident size is read from /proc")
        #endif
    }
}
