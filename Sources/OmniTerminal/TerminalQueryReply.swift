/// What a terminal answered to `TerminalQuery`'s questions, parsed from the raw bytes it sent back.
///
/// Understood replies: DA1 (`ESC [ ? 62 ; 4 ; 22 c`), XTVERSION (`ESC P > | name(version) ESC \`), the cell
/// size in pixels (`ESC [ 6 ; height ; width t`, the answer to `CSI 16 t`), and DSR (`ESC [ 0 n`), the sentinel
/// every terminal sends last. Anything else in the stream (keystrokes, unknown replies) is skipped.
public struct TerminalQueryReply: Sendable, Hashable {
    /// DA1 parameters after `?`: the device class first (e.g. 62, 64), then its attributes.
    public var deviceAttributes: [Int]?
    /// The XTVERSION text, e.g. `XTerm(372)`, `kitty(0.26.5)`, `tmux 3.3a`.
    public var terminalName: String?
    /// One cell's size in pixels, from the `CSI 16 t` answer.
    public var cellPixelSize: CellPixelSize?
    /// The DSR answer arrived, so every earlier question has been answered (or ignored).
    public var sawStatusReport: Bool

    public init(deviceAttributes: [Int]? = nil, terminalName: String? = nil,
                cellPixelSize: CellPixelSize? = nil, sawStatusReport: Bool = false) {
        self.deviceAttributes = deviceAttributes
        self.terminalName = terminalName
        self.cellPixelSize = cellPixelSize
        self.sawStatusReport = sawStatusReport
    }

    /// Whether the terminal announced sixel graphics (attribute 4 in DA1); nil without a DA1 reply.
    public var supportsSixel: Bool? {
        deviceAttributes.map { $0.dropFirst().contains(4) }
    }

    /// Parses every complete reply in `bytes`; an unfinished sequence at the end is ignored.
    public static func parse(_ bytes: [UInt8]) -> TerminalQueryReply {
        var reply = TerminalQueryReply()
        let esc: UInt8 = 0x1B
        var i = 0
        while i < bytes.count {
            guard bytes[i] == esc, i + 1 < bytes.count else { i += 1; continue }
            switch bytes[i + 1] {
            case UInt8(ascii: "["):
                // CSI: optional private marker, parameters, final byte 0x40–0x7E.
                var j = i + 2
                var marker: UInt8? = nil
                if j < bytes.count, (0x3C...0x3F).contains(bytes[j]) { marker = bytes[j]; j += 1 }
                let start = j
                while j < bytes.count, (0x20...0x3F).contains(bytes[j]) { j += 1 }
                guard j < bytes.count else { return reply }
                guard (0x40...0x7E).contains(bytes[j]) else { i = j; continue }
                let parameters = String(decoding: bytes[start..<j], as: UTF8.self)
                    .split(separator: ";", omittingEmptySubsequences: false).map { Int($0) }
                reply.absorbCSI(marker: marker, parameters: parameters, final: bytes[j])
                i = j + 1
            case UInt8(ascii: "P"):
                // DCS … ST (ESC \) or BEL.
                var j = i + 2
                var end: Int? = nil
                while j < bytes.count {
                    if bytes[j] == 0x07 { end = j; break }
                    if bytes[j] == esc, j + 1 < bytes.count, bytes[j + 1] == UInt8(ascii: "\\") { end = j; break }
                    j += 1
                }
                guard let stop = end else { return reply }
                let body = bytes[(i + 2)..<stop]
                if body.starts(with: [UInt8(ascii: ">"), UInt8(ascii: "|")]) {
                    let name = String(decoding: body.dropFirst(2), as: UTF8.self)
                    if !name.isEmpty { reply.terminalName = name }
                }
                i = bytes[stop] == 0x07 ? stop + 1 : stop + 2
            default:
                i += 1
            }
        }
        return reply
    }

    private mutating func absorbCSI(marker: UInt8?, parameters: [Int?], final: UInt8) {
        switch (marker, final) {
        case (UInt8(ascii: "?"), UInt8(ascii: "c")):
            deviceAttributes = parameters.compactMap { $0 }
        case (nil, UInt8(ascii: "t")):
            if parameters.count == 3, parameters[0] == 6, let height = parameters[1], let width = parameters[2],
               height > 0, width > 0 {
                cellPixelSize = CellPixelSize(width: width, height: height)
            }
        case (nil, UInt8(ascii: "n")):
            if parameters.first == 0 { sawStatusReport = true }
        default:
            break
        }
    }
}
