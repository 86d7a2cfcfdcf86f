/// `s` as a double-quoted string literal that is valid both as JSON and as a TOML basic string: `"` and `\`
/// escaped, `\n` `\r` `\t` by name, every other control character (and DEL, which TOML forbids raw) as `\uXXXX`;
/// all else, non-ASCII included, as it is. The one quoter behind the safetensors header and the recipe/preset TOML writer.
public func quotedString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            let hex = String(scalar.value, radix: 16, uppercase: true)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
