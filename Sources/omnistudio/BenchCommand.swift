import ArgumentParser

/// `omnistudio bench …`: speed measurements. Throughput numbers are taken in one run on this machine;
/// compare them only with numbers from the same run.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure speed: media I/O, kernels, generation, the studio UI, training steps.",
        subcommands: [BenchMedia.self, BenchKernels.self, BenchGenerate.self, BenchUI.self, BenchTrain.self, BenchPeer.self]
    )
}
