import ArgumentParser

/// The `omnistudio` executable: argument parsing and dispatch only; all work lives in the library modules.
@main
struct OmniStudioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "omnistudio",
        abstract: "One reference photo → a full-body human video driven by audio, pose and/or text.",
        subcommands: [Generate.self, Show.self, Bench.self]
    )
}
