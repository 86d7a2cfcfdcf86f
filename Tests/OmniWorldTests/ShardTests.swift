import XCTest
import OmniMedia
@testable import OmniWorld

final class ShardTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "omniworld-shard-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

    func records() -> [ShardRecord] {
        [ShardRecord(clip: WorldFixtures.clip(seed: 31, size: .portrait, duration: 0.28)),
         ShardRecord(clip: WorldFixtures.clip(seed: 32, size: .landscape, duration: 0.2))]
    }

    func testWriteReadRoundTripIsExact() throws {
        let path = folder + "/a.shard"
        let written = records()
        try Shard.write(written, to: path)
        let reader = try ShardReader(path: path)
        XCTAssertEqual(reader.count, 2)
        for i in 0..<2 { XCTAssertEqual(try reader.record(i), written[i]) }
        XCTAssertEqual(try reader.record(0).frame(3), WorldFixtures.clip(seed: 31, size: .portrait, duration: 0.28).frames[3])
        XCTAssertEqual(try reader.record(1).poseTrack.frames.count, 5)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder)
        XCTAssertEqual(leftovers, ["a.shard"], "no temporary files left")
    }

    /// Opens a shard and reads every record; the error's text, or nil when all went well.
    func readAll(_ path: String) -> String? {
        do {
            let reader = try ShardReader(path: path)
            for i in 0..<reader.count { _ = try reader.record(i) }
            return nil
        } catch {
            return String(describing: error)
        }
    }

    func testDamagedShardsGiveErrorsNamingTheFile() throws {
        let path = folder + "/b.shard"
        try Shard.write(records(), to: path)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))

        func expectError(_ data: Data, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let bad = folder + "/bad.shard"
            try data.write(to: URL(fileURLWithPath: bad))
            guard let message = readAll(bad) else { return XCTFail("no error for \(fragment)", file: file, line: line) }
            XCTAssertTrue(message.contains(bad), message, file: file, line: line)
            XCTAssertTrue(message.contains(fragment), message, file: file, line: line)
        }
        try expectError(good.prefix(good.count - 100), "truncated")
        try expectError(good.prefix(30), "shorter than")
        var flipped = good
        flipped[200] ^= 0xFF
        try expectError(flipped, "checksum")
        var magic = good
        magic[0] = UInt8(ascii: "X")
        try expectError(magic, "magic")
        var version = good
        version[8] = 9
        try expectError(version, "version 9")
        XCTAssertThrowsError(try ShardReader(path: folder + "/missing.shard")) { error in
            XCTAssertTrue("\(error)".contains("missing.shard"))
        }
    }
}
