@testable import OmniTensor
import XCTest

/// Which kernels OpenBLAS is asked for after falling back to Prescott on a CPU it does not know.
final class OpenBLASCoreTests: XCTestCase {
    func testOnlyTheGenericFallbackIsReplacedByWhatTheFlagsAllow() {
        let avx512: Set<String> = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd", "avx512_bf16"]
        XCTAssertEqual(OpenBLASCore.better(than: "Prescott", flags: avx512), "SkylakeX")
        XCTAssertEqual(OpenBLASCore.better(than: "Prescott", flags: ["sse3", "avx", "avx2", "fma"]), "Haswell")
        XCTAssertNil(OpenBLASCore.better(than: "Prescott", flags: ["sse3", "avx"]), "nothing better than SSE3 kernels")
        XCTAssertNil(OpenBLASCore.better(than: "Prescott", flags: ["avx512f", "avx2"]), "AVX-512 without its BW/VL/DQ/CD parts is not SkylakeX")
        for known in ["Zen", "Haswell", "SkylakeX", "Cooperlake"] {
            XCTAssertNil(OpenBLASCore.better(than: known, flags: avx512), "a core OpenBLAS recognised is kept")
        }
    }

    /// The flags come from /proc/cpuinfo, and OpenBLAS names its choice.
    func testTheMachineIsRead() {
        XCTAssertFalse(OpenBLASCore.chosen.isEmpty)
        if FileManager.default.fileExists(atPath: "/proc/cpuinfo") { XCTAssertTrue(OpenBLASCore.cpuFlags().contains("sse2")) }
    }
}
