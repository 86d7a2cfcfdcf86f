import ArgumentParser

/// `omnistudio train`: the training command group (its subcommands train the project's helper models).
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the model (vae, then dit --stage 1, 2, 3) and helper models on the procedural puppet world.",
        subcommands: [TrainVAE.self, TrainCache.self, TrainPack.self, TrainDiT.self, TrainDistill.self, TrainExport.self, TrainDetector.self])
}
