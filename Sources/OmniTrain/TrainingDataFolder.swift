import Foundation
import OmniMedia
import OmniWorld

/// The folder of training data built once and read many times (`LatentCache`, `DiTPack`): created fresh — one that
/// already holds a manifest is refused rather than mixed into — and finished by writing the manifest last, under a
/// temporary name, so a folder with a manifest is always complete.
enum TrainingDataFolder {
    /// Checks what building needs (espeak-ng for real speech) and creates `folder`; `holds` names the data in the
    /// error ("a latent cache").
    static func create(_ folder: String, manifestName: String, holds: String, realSpeech: Bool) throws {
        if realSpeech && !EspeakSpeech.isAvailable {
            throw TrainingError.unreadable(path: EspeakSpeech.programPath, reason: "real speech needs espeak-ng (make bootstrap installs it)")
        }
        if FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent(manifestName)) {
            throw TrainingError.runMismatch(path: folder, reason: "already holds \(holds); choose a new folder")
        }
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw TrainingError.unreadable(path: folder, reason: "cannot create the folder (\(error.localizedDescription))")
        }
    }

    /// Writes `manifest` as pretty, key-sorted snake_case JSON to `folder/manifestName`.
    static func writeManifest(_ manifest: some Encodable, folder: String, manifestName: String) throws {
        let path = (folder as NSString).appendingPathComponent(manifestName)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do { try PendingFile.write(try encoder.encode(manifest), to: path) } catch {
            throw TrainingError.unreadable(path: path, reason: "cannot write (\(error))")
        }
    }
}
