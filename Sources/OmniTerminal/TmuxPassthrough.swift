/// tmux's DCS passthrough: lets a graphics payload reach the terminal outside tmux.
///
/// The wrapped form is `ESC P tmux ;` + the payload with every ESC doubled + `ESC \`. tmux forwards it only
/// with `set -g allow-passthrough on` (tmux ≥ 3.3); tmux 3.3 draws no sixels of its own.
public enum TmuxPassthrough {
    static let escape: UInt8 = 0x1B

    /// `payload` wrapped for tmux passthrough.
    public static func wrap(_ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [escape, UInt8(ascii: "P")] + Array("tmux;".utf8)
        out.reserveCapacity(payload.count + payload.count / 8 + 10)
        for byte in payload {
            if byte == escape { out.append(escape) }
            out.append(byte)
        }
        out.append(contentsOf: [escape, UInt8(ascii: "\\")])
        return out
    }

    /// `payload` wrapped for tmux passthrough.
    public static func wrap(_ payload: String) -> String {
        String(decoding: wrap(Array(payload.utf8)), as: UTF8.self)
    }
}
