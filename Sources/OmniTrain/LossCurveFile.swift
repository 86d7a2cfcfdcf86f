import Foundation
import OmniMedia

/// The run's `loss.png`: the per-step loss and its moving average from `train.jsonl`, log scale.
enum LossCurveFile {
    static let fileName = "loss.png"

    static func write(run: TrainingRun) throws {
        let entries = run.log.entries()
        let title = switch run.state.kind {
        case "vae": "VAE (stage 0) loss"
        case "distill": run.state.stage == 2 ? "shortcut distillation loss" : "guidance distillation loss"
        default: "DiT stage \(run.state.stage) loss"
        }
        try LossCurve.write(title: title, series: [
            .init(name: "loss", points: entries.map { ($0.step, $0.loss) }, colour: RGB(150, 190, 230)),
            .init(name: "moving average", points: entries.map { ($0.step, $0.lossAverage) }, colour: RGB(20, 60, 160)),
        ], to: (run.folder as NSString).appendingPathComponent(fileName))
    }
}
