/// The lines of a text file written on any system: `\n`, `\r\n` and a lone `\r` each end a line (Swift's
/// `split(separator: "\n")` sees `\r\n` as one character and would read a Windows file as a single line).
/// Line numbers in errors count these lines from 1.
public enum TextLines {
    public static func split(_ text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
    }
}
