import Foundation
import OmniMedia
@testable import OmniWorld
import XCTest

/// The eval harness end to end on one tiny clip, with a stand-in "random weights" generator (noise frames) and a
/// stand-in ceiling (the truth with mild noise): every row and column is there, and the metrics tell them apart.
final class EvalTests: XCTestCase {
    func testSetParsing() {
        XCTAssertEqual(EvalSet(parsing: "puppet:9001:4"), EvalSet(seed: 9001, count: 4))
        XCTAssertEqual(EvalSet(parsing: "puppet:7"), EvalSet(seed: 7, count: 8))
        XCTAssertNil(EvalSet(parsing: "video:7"))
        XCTAssertNil(EvalSet(parsing: "puppet:7:0"))
    }

    func testHarnessProducesTheFullTable() throws {
        let detector = (try? KeypointDetector.load(folder: DetectorTests.shippedFolder)) ?? KeypointDetector(seed: 1)
        let spec = EvalSet(seed: 9001, count: 1).specs(size: FrameSize(width: 32, height: 32), duration: 1.0, fps: 25)[0]
        let clip = Clip.render(spec)
        func noisy(_ frames: [RGBImage], amplitude: Int, seed: UInt64) -> [RGBImage] {
            var state = seed
            return frames.map { f in
                var g = f
                for i in 0..<g.pixels.count {
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    let n = Int(state >> 33) % (2 * amplitude + 1) - amplitude
                    g.pixels[i] = UInt8(max(0, min(255, Int(g.pixels[i]) + n)))
                }
                return g
            }
        }
        var harness = EvalHarness(
            detector: detector,
            boundaries: { frames in Array(stride(from: 9, to: frames, by: 4)) },
            generate: { mode, inputs, clip in
                XCTAssertTrue(FileManager.default.fileExists(atPath: inputs.reference))
                XCTAssertTrue(FileManager.default.fileExists(atPath: inputs.audio))
                XCTAssertTrue(FileManager.default.fileExists(atPath: inputs.pose))
                if mode == .textOnly { throw EvalSkip("skipped: test") }
                return noisy(Array(repeating: RGBImage(width: 32, height: 32, fill: RGB(128, 128, 128)), count: clip.frames.count),
                             amplitude: 120, seed: 1)
            },
            reconstruct: { noisy($0, amplitude: 6, seed: 2) })
        harness.modes = EvalMode.allCases
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("eval-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let report = try harness.run(clips: [clip], model: "stand-in", set: "puppet:9001:1", workFolder: work)

        XCTAssertEqual(report.rows.map(\.name), ["truth", "still", "vae-ceiling"] + EvalMode.allCases.map(\.rawValue))
        let table = report.table()
        for metric in EvalMetric.allCases { XCTAssertTrue(table.contains(metric.rawValue), "table lacks \(metric)") }
        for row in ["truth", "vae-ceiling"] {
            XCTAssertEqual(Set(report.row(row)!.metrics.keys), Set(EvalMetric.allCases.map(\.rawValue)), row)
        }
        // A still picture never changes, so it has no seam ratio.
        XCTAssertEqual(Set(report.row("still")!.metrics.keys), Set(EvalMetric.allCases.map(\.rawValue)).subtracting(["Seams"]))
        XCTAssertEqual(Set(report.row("ref+pose")!.metrics.keys), ["PSNR", "SSIM", "AKD", "Drift", "FVD-p", "Seams"])
        XCTAssertEqual(Set(report.row("ref+audio")!.metrics.keys), ["Sync", "HKV", "HKC", "FVD-p", "Seams"])
        XCTAssertEqual(Set(report.row("all")!.metrics.keys), Set(EvalMetric.allCases.map(\.rawValue)))
        XCTAssertEqual(report.row("text")?.note, "skipped: test")

        // Ideal values for the truth; the ordering noise < still < ceiling on PSNR.
        let truth = report.row("truth")!, still = report.row("still")!, ceiling = report.row("vae-ceiling")!
        XCTAssertEqual(truth[.psnr], ImageMetrics.psnrCap)
        XCTAssertEqual(truth[.ssim]!, 1, accuracy: 1e-9)
        XCTAssertEqual(truth[.fvd]!, 0, accuracy: 1e-6)
        XCTAssertEqual(truth[.drift], 0)
        let random = report.row("ref+pose")![.psnr]!
        XCTAssertLessThan(random, ceiling[.psnr]!)
        XCTAssertLessThanOrEqual(random, still[.psnr]! + 1)
        XCTAssertLessThan(ceiling[.psnr]!, ImageMetrics.psnrCap)

        let decoded = try JSONDecoder().decode(EvalReport.self, from: Data(try report.json().utf8))
        XCTAssertEqual(decoded.rows.count, report.rows.count)
    }
}
