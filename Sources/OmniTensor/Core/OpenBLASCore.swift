import COpenBLAS
import Foundation

/// OpenBLAS picks its kernels from the CPU model once, when the library loads. Debian 12's 0.3.21 does not know
/// newer Xeons (family 6, model 207 on this machine) and falls back to its Prescott (SSE3) kernels: sgemm at
/// 61 GFLOP/s on 2 cores, against 286–300 with AVX-512 kernels on the same shapes, measured with `bench kernels`
/// in one session. `OPENBLAS_CORETYPE` chooses the kernels but is read only at load, so the
/// executables call `relaunchIfGeneric()` first: when OpenBLAS fell back and the CPU's flags allow better kernels,
/// the program runs itself again, once, with the variable set. A value the user set is always kept.
public enum OpenBLASCore {
    /// The kernels OpenBLAS chose (its name, e.g. "Cooperlake", "Haswell", "Prescott").
    public static var chosen: String { String(cString: openblas_get_corename()) }

    /// Whether OpenBLAS runs AVX-512 kernels (its SkylakeX family: SkylakeX, Cooperlake, SapphireRapids).
    public static var hasAVX512Kernels: Bool {
        ["skylakex", "cooperlake", "sapphirerapids"].contains(chosen.lowercased())
    }

    /// The kernels to ask for when OpenBLAS chose `chosen` on a CPU with `flags` (/proc/cpuinfo's names), or nil
    /// to keep them: only the Prescott fallback is replaced, by the best kernels the flags support.
    public static func better(than chosen: String, flags: Set<String>) -> String? {
        guard chosen.lowercased() == "prescott" else { return nil }
        // SkylakeX's sgemm is the AVX-512 one (Cooperlake adds only bf16 kernels, and 0.3.21 cannot be asked
        // for it by name: "Core not found").
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(flags.contains) { return "SkylakeX" }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        return nil
    }

    /// The CPU's feature flags from /proc/cpuinfo (empty where there is none).
    static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// Runs this program again with `OPENBLAS_CORETYPE` set when OpenBLAS fell back to generic kernels on a CPU
    /// that has better ones; returns (and keeps the slow kernels) when the variable is already set, nothing is
    /// better, or the program cannot be executed again.
    public static func relaunchIfGeneric() {
        // /proc/cpuinfo is read only after a fallback: an ordinary start costs one string compare.
        let chosen = self.chosen
        guard chosen.lowercased() == "prescott", ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
              let core = better(than: chosen, flags: cpuFlags()) else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }
}
