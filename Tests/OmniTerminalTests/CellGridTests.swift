import OmniMedia
import XCTest
@testable import OmniTerminal

final class CellGridTests: XCTestCase {
    private func sampleGrid(depth: ColorDepth) -> CellGrid {
        var grid = CellGrid(cols: 3, rows: 2, colorDepth: depth)
        grid[0, 0] = Cell(character: "▀", foreground: RGB(255, 0, 0), background: RGB(0, 0, 255))
        grid[1, 0] = Cell(character: "a", foreground: RGB(255, 0, 0), background: RGB(0, 0, 255))
        grid[2, 1] = Cell(character: "█", foreground: RGB(0, 255, 0), background: RGB(0, 0, 0))
        return grid
    }

    func testPlainTextHasOneLinePerRow() {
        XCTAssertEqual(sampleGrid(depth: .truecolor).plainText, "▀a \n  █")
    }

    func testSubscriptIsRowMajor() {
        let grid = sampleGrid(depth: .truecolor)
        XCTAssertEqual(grid.cells[1 * 3 + 2].character, "█")
        XCTAssertEqual(grid.row(0).map(\.character), ["▀", "a", " "])
    }

    func testTruecolorUsesDirectSGRAndResetsEveryLine() {
        let ansi = sampleGrid(depth: .truecolor).ansi()
        XCTAssertTrue(ansi.contains("\u{1B}[38;2;255;0;0;48;2;0;0;255m▀a"), ansi)
        XCTAssertFalse(ansi.contains("38;5;"))
        let lines = ansi.split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines.allSatisfy { $0.hasSuffix("\u{1B}[0m") })
        XCTAssertTrue(ansi.hasSuffix("\u{1B}[0m\n"))
    }

    func test256ColoursUsePaletteSGR() {
        let ansi = sampleGrid(depth: .truecolor).ansi(depth: .indexed256)
        XCTAssertTrue(ansi.contains("\u{1B}[38;5;196;48;5;21m"), ansi)
        XCTAssertFalse(ansi.contains("38;2;"))
    }

    func test16ColoursUseBasicSGR() {
        let ansi = sampleGrid(depth: .indexed16).ansi()
        XCTAssertTrue(ansi.contains("\u{1B}[91;44m▀"), ansi)  // bright red on blue (0,0,238 is nearest to 0,0,255)
        XCTAssertFalse(ansi.contains("38;5;")); XCTAssertFalse(ansi.contains("38;2;"))
    }

    func testNoColourHasNoEscapes() {
        let ansi = sampleGrid(depth: .truecolor).ansi(depth: ColorDepth.none)
        XCTAssertEqual(ansi, "▀a \n  █\n")
        XCTAssertFalse(ansi.contains("\u{1B}"))
    }

    func testRepeatedColoursAreNotRepeatedInOutput() {
        let grid = CellGrid(cols: 10, rows: 1, colorDepth: .truecolor,
                            fill: Cell(character: "x", foreground: RGB(1, 2, 3), background: RGB(4, 5, 6)))
        XCTAssertEqual(grid.ansi().components(separatedBy: "38;2;").count - 1, 1)
    }

    func testRenderedGridCarriesItsDepthIntoANSI() {
        let image = horizontalRedGradient()
        XCTAssertTrue(ChafaSymbolRenderer(colorDepth: .truecolor).render(image, cols: 20).ansi().contains("38;2;"))
        let indexed = ChafaSymbolRenderer(colorDepth: .indexed256).render(image, cols: 20).ansi()
        XCTAssertTrue(indexed.contains("38;5;")); XCTAssertFalse(indexed.contains("38;2;"))
        let none = ChafaSymbolRenderer(colorDepth: .none).render(image, cols: 20).ansi()
        XCTAssertFalse(none.contains("\u{1B}["))
    }
}
