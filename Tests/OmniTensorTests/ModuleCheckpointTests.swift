import Foundation
import XCTest
@testable import OmniTensor

private final class Small: Module {
    let proj = Linear(3, 2)
    let norm = RMSNorm(2)
    init(seed: UInt64) {
        let rng = RandomStream(seed: seed)
        for (key, t) in namedTensors() { Initialization.normal(t, std: 0.5, Initialization.stream(for: key, rng)) }
    }
}

private final class Other: Module {
    let proj = Linear(3, 4)
}

final class ModuleCheckpointTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("omnistudio-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func testSaveAndLoadRoundTripF32AndF16() throws {
        let a = Small(seed: 1), b = Small(seed: 2)
        let path = dir.appendingPathComponent("m.safetensors").path
        try a.save(path: path, metadata: ["format": "1"])
        try b.load(path: path)
        XCTAssertEqual(a.namedTensors().map { $0.tensor.values }, b.namedTensors().map { $0.tensor.values })

        try a.save(path: path, dtype: .f16)
        let c = Small(seed: 3)
        try c.load(path: path)
        for ((_, x), (_, y)) in zip(a.namedTensors(), c.namedTensors()) {
            for i in 0..<x.count { XCTAssertEqual(x.data[i], y.data[i], accuracy: abs(x.data[i]) * 1e-3 + 1e-4) }
        }
        XCTAssertEqual(a.namedTensors().map(\.key).sorted(), try SafetensorsFile(path: path).names)
    }

    func testStrictLoadingNamesMissingUnusedAndMisshapenKeys() throws {
        let path = dir.appendingPathComponent("other.safetensors").path
        try Other().save(path: path)
        XCTAssertThrowsError(try Small(seed: 1).load(path: path)) { error in
            XCTAssertEqual(error as? CheckpointError, .keysMismatch(path: path, missing: ["norm.weight"], unused: []))
            XCTAssertTrue("\(error)".hasPrefix(path + ": checkpoint does not fit the model: missing 1 key(s): norm.weight"), "\(error)")
        }
        // Extra key in the file → unused.
        var writer = SafetensorsWriter(tensors: Small(seed: 1).checkpointEntries())
        writer.add("stray.weight", shape: [1], values: [0])
        let strayPath = dir.appendingPathComponent("stray.safetensors").path
        try writer.write(to: strayPath)
        XCTAssertThrowsError(try Small(seed: 1).load(path: strayPath)) { error in
            XCTAssertEqual(error as? CheckpointError, .keysMismatch(path: strayPath, missing: [], unused: ["stray.weight"]))
        }
        // Same keys, wrong shape.
        let shapes = SafetensorsWriter(tensors: [
            .init(name: "proj.weight", shape: [2, 4], values: [Float](repeating: 0, count: 8)),
            .init(name: "proj.bias", shape: [2], values: [0, 0]),
            .init(name: "norm.weight", shape: [2], values: [1, 1]),
        ])
        let shapePath = dir.appendingPathComponent("shape.safetensors").path
        try shapes.write(to: shapePath)
        XCTAssertThrowsError(try Small(seed: 1).load(path: shapePath)) { error in
            XCTAssertEqual(error as? CheckpointError, .shapeMismatch(path: shapePath, key: "proj.weight", expected: [2, 3], found: [2, 4]))
        }
    }

    func testSeededInitialisationIsDeterministicPerKey() {
        XCTAssertEqual(Small(seed: 9).namedTensors().map { $0.tensor.values }, Small(seed: 9).namedTensors().map { $0.tensor.values })
        XCTAssertNotEqual(Small(seed: 9).proj.weight.values, Small(seed: 10).proj.weight.values)
    }

    /// NaN or infinite weights loaded silently and gave black frames with exit status 0.
    func testNonFiniteWeightsAreRefusedNamingTheTensor() throws {
        let path = dir.appendingPathComponent("nan.safetensors").path
        for bad: Float in [.nan, .infinity, -.infinity] {
            let a = Small(seed: 1)
            a.norm.weight.data[1] = bad
            try a.save(path: path)
            XCTAssertThrowsError(try Small(seed: 2).load(path: path)) { error in
                XCTAssertEqual("\(error)", "\(path): tensor 'norm.weight' holds \(bad) at element 1; a model's weights must be finite numbers")
            }
        }
    }
}
