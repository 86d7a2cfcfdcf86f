/// A value taken from the user's input, for an error message: at most `limit` characters, so that a bad value of
/// a megabyte does not become an error line of a megabyte. Cut values end in `… (N characters)`; control
/// characters (a stray carriage return, an escape sequence) are shown as `\u{…}` so the message stays one line.
public struct Clipped: CustomStringConvertible, Sendable {
    public let value: String
    public let limit: Int

    public init(_ value: some StringProtocol, limit: Int = 80) {
        self.value = String(value)
        self.limit = limit
    }

    public var description: String {
        var out = ""
        var shown = 0, total = 0
        for c in value {
            total += 1
            guard shown < limit else { continue }
            shown += 1
            if c.unicodeScalars.count == 1, let s = c.unicodeScalars.first, s.value < 0x20 || s.value == 0x7F {
                out += "\\u{\(String(s.value, radix: 16))}"
            } else {
                out.append(c)
            }
        }
        return total > limit ? out + "… (\(total) characters)" : out
    }
}
