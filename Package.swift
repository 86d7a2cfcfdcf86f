// swift-tools-version:6.0
// OmniStudio — one reference photo → a full-body human video driven by audio, pose and/or text.
// Layout and dependency direction: docs/ARCHITECTURE.md §2.
//   C modules → OmniTensor, OmniMedia → OmniModel, OmniTerminal, OmniWorld → OmniTrain, OmniStudioUI → OmniFuzz → executables
import PackageDescription

let package = Package(
    name: "OmniStudio",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "omnistudio", targets: ["omnistudio"]),
        .executable(name: "omnistudio-fuzz", targets: ["omnistudio-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Recipes and presets are TOML 1.0 read by toml++ (through TOMLKit), not a hand-written reader.
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
    ],
    targets: [
        // System libraries: a module map with `link` lines and a shim that wraps what Swift cannot import.
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CNcursesw", path: "Sources/CNcursesw", pkgConfig: "ncursesw",
                       providers: [.apt(["libncursesw5-dev"])]),
        .systemLibrary(name: "CChafa", path: "Sources/CChafa", pkgConfig: "chafa",
                       providers: [.apt(["libchafa-dev", "libglib2.0-dev"])]),
        .systemLibrary(name: "CFFmpeg", path: "Sources/CFFmpeg", pkgConfig: "libavformat",
                       providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev",
                                         "libswscale-dev", "libswresample-dev"])]),

        // OmniTensor's row and elementwise kernels in C, built for three x86-64 levels and picked at load time
        // (Swift builds only for the baseline). No FMA contraction: the same bits on every level.
        .target(name: "COmniKernels",
                cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off"])]),
        // Tensors, kernels (GEMMs through cblas_sgemm), reverse-mode autodiff, optimisers, safetensors, seeded RNG.
        // Knows nothing about video. -Ounchecked drops overflow and bounds checks in the kernels' inner loops;
        // every kernel is checked against a naive loop implementation and finite differences in the tests.
        .target(name: "OmniTensor", dependencies: ["COpenBLAS", "COmniKernels"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
        // FFmpeg image/audio/video I/O. Knows nothing about models.
        .target(name: "OmniMedia", dependencies: ["CFFmpeg"]),
        // The engine: causal 3D VAE, MMDiT, condition encoders, flow-matching sampler, segment-wise pipeline.
        .target(name: "OmniModel", dependencies: ["OmniTensor", "OmniMedia", .product(name: "TOMLKit", package: "TOMLKit")]),
        // RGB frames → terminal cells or graphics payloads through libchafa; terminal capability detection.
        .target(name: "OmniTerminal", dependencies: ["CChafa", "OmniMedia"]),
        // The procedural puppet world: characters, motions, speech-like audio, clips and training shards.
        .target(name: "OmniWorld", dependencies: ["OmniTensor", "OmniMedia"]),

        // The omni-conditions trainer: VAE (stage 0) and DiT curriculum (stages 1–3), checkpoints, logs, loss curves.
        .target(name: "OmniTrain", dependencies: ["OmniTensor", "OmniMedia", "OmniModel", "OmniWorld"]),

        // The terminal studio: a pure view-model (state, keys, layout, cell-grid rendering) plus a thin ncurses shell.
        .target(name: "OmniStudioUI", dependencies: ["OmniModel", "OmniMedia", "OmniTerminal", "CNcursesw"]),

        // Seeded mutation fuzzing of every parser of user files: in make test (a few thousand cases each) and in
        // `omnistudio-fuzz` (make fuzz), which survives crashes and hangs by running cases in a child process.
        .target(name: "OmniFuzz", dependencies: ["OmniTensor", "OmniMedia", "OmniModel", "OmniStudioUI"]),
        .executableTarget(name: "omnistudio-fuzz", dependencies: ["OmniFuzz", "OmniMedia", "OmniTensor"]),
        // The same targets under libFuzzer + AddressSanitizer; only `make fuzz-libfuzzer` builds it for real.
        .executableTarget(name: "omnistudio-libfuzzer", dependencies: ["OmniFuzz"]),

        .executableTarget(name: "omnistudio", dependencies: [
            "OmniTensor", "OmniMedia", "OmniTerminal", "OmniModel", "OmniStudioUI", "OmniWorld", "OmniTrain",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "OmniFuzzTests", dependencies: ["OmniFuzz", "OmniModel", "OmniMedia", "OmniTensor"], exclude: ["Corpus"]),
        .testTarget(name: "OmniTensorTests", dependencies: ["OmniTensor", "COmniKernels"]),
        .testTarget(name: "OmniMediaTests", dependencies: ["OmniMedia", "CFFmpeg"]),
        .testTarget(name: "OmniModelTests", dependencies: ["OmniModel", "OmniTensor", "OmniMedia", "OmniFuzz"], exclude: ["Fixtures"]),
        .testTarget(name: "OmniTerminalTests", dependencies: ["OmniTerminal", "OmniMedia", "CChafa"]),
        .testTarget(name: "OmniStudioUITests", dependencies: ["OmniStudioUI", "OmniModel", "OmniMedia", "OmniTerminal"]),
        .testTarget(name: "OmniWorldTests", dependencies: ["OmniWorld", "OmniTensor", "OmniMedia", "OmniModel"]),
        .testTarget(name: "OmniTrainTests", dependencies: ["OmniTrain", "OmniWorld", "OmniModel", "OmniTensor", "OmniMedia"]),
    ],
    swiftLanguageModes: [.v6]
)
