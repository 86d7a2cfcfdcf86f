import ArgumentParser

/// `omnistudio train`: the training command group (its subcommands train the project's helper models).
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train helper models on the procedural puppet world.",
        subcommands: [TrainDetector.self])
}
