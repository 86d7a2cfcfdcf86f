import ArgumentParser
import OmniTensor

/// The `omnistudio` executable: argument parsing and dispatch only; all work lives in the library modules.
@main
struct OmniStudioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "omnistudio",
        abstract: "One reference photo → a full-body human video driven by audio, pose and/or text.",
        subcommands: [Studio.self, Generate.self, Show.self, Bench.self, Synth.self, Train.self, Eval.self, Probe.self, Sheet.self],
        defaultSubcommand: Studio.self
    )

    /// `omnistudio [studio options] [PATH]` goes to the studio: anything that is not a subcommand or help.
    static func main() {
        OpenBLASCore.relaunchIfGeneric()
        var arguments = Array(CommandLine.arguments.dropFirst())
        let names = configuration.subcommands.map { $0._commandName } + ["help", "-h", "--help", "--version"]
        if let first = arguments.first, !names.contains(first) { arguments.insert("studio", at: 0) }
        main(arguments)
    }
}
