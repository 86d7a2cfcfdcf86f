import Foundation
import XCTest

/// The architecture lives in the repository (docs/ARCHITECTURE.md): every `§N` / `§N.M` that the code, the Python
/// reference, the README or the document itself cites is a heading there, and nothing points to a design document
/// outside the repository (`DESIGN §…`), which a clone does not have.
final class DocumentationTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func files(under folder: String, extensions: Set<String>) -> [URL] {
        let root = Self.repo.appendingPathComponent(folder)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { $0 as? URL }.filter { extensions.contains($0.pathExtension) }
    }

    func testEverySectionCitedIsAHeadingAndNothingCitesAnOutsideDesign() throws {
        let document = try String(contentsOf: Self.repo.appendingPathComponent("docs/ARCHITECTURE.md"), encoding: .utf8)
        let section = try NSRegularExpression(pattern: "§([0-9]+(?:\\.[0-9]+)?)")
        func cited(_ text: String) -> Set<String> {
            Set(section.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { String(text[Range($0.range(at: 1), in: text)!]) })
        }
        let headings = Set(document.split(separator: "\n").filter { $0.hasPrefix("#") }.flatMap { cited(String($0)) })
        XCTAssertTrue(headings.isSuperset(of: ["1", "3.1", "4.6", "12"]), "headings read: \(headings.sorted())")
        var sources = files(under: "Sources", extensions: ["swift"]) + files(under: "python", extensions: ["py"])
        sources += [Self.repo.appendingPathComponent("README.md"), Self.repo.appendingPathComponent("docs/ARCHITECTURE.md")]
        XCTAssertGreaterThan(sources.count, 100)
        var citing = 0
        for file in sources {
            let text = try String(contentsOf: file, encoding: .utf8)
            let sections = cited(text)
            if !sections.isEmpty { citing += 1 }
            for s in sections where !headings.contains(s) {
                XCTFail("\(file.path) cites §\(s), which docs/ARCHITECTURE.md has no heading for")
            }
            XCTAssertFalse(text.contains("DESIGN §"), "\(file.path) points to a design document outside the repository")
        }
        XCTAssertGreaterThan(citing, 10, "the code points to the document")
    }
}
