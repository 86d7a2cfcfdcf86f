import OmniMedia

/// The xterm colour palette and nearest-colour lookups into it, for rendering RGB cells at 256 or 16 colours.
///
/// Indices 0–15 are the 16 ANSI colours (xterm's default values; real terminals theme them), 16–231 the
/// 6×6×6 colour cube, 232–255 the 24-step grey ramp. Distances are squared Euclidean in 8-bit RGB.
public enum XtermPalette {
    /// xterm's default values of the 16 ANSI colours (0–7 normal, 8–15 bright).
    public static let ansi16: [RGB] = [
        RGB(0, 0, 0), RGB(205, 0, 0), RGB(0, 205, 0), RGB(205, 205, 0),
        RGB(0, 0, 238), RGB(205, 0, 205), RGB(0, 205, 205), RGB(229, 229, 229),
        RGB(127, 127, 127), RGB(255, 0, 0), RGB(0, 255, 0), RGB(255, 255, 0),
        RGB(92, 92, 255), RGB(255, 0, 255), RGB(0, 255, 255), RGB(255, 255, 255),
    ]

    /// The six channel levels of the colour cube.
    static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    /// The RGB value of palette entry `index` (0–255).
    public static func color(at index: UInt8) -> RGB {
        let i = Int(index)
        if i < 16 { return ansi16[i] }
        if i < 232 {
            let c = i - 16
            return RGB(UInt8(cubeLevels[c / 36]), UInt8(cubeLevels[(c / 6) % 6]), UInt8(cubeLevels[c % 6]))
        }
        let grey = UInt8(8 + 10 * (i - 232))
        return RGB(grey, grey, grey)
    }

    /// The nearest entry among 16–255 (cube and greys; the themeable 0–15 are never chosen).
    public static func nearest256(to colour: RGB) -> UInt8 {
        func cubeIndex(_ v: UInt8) -> Int {
            let v = Int(v)
            if v < 48 { return 0 }
            if v < 115 { return 1 }
            return min(5, (v - 35) / 40)
        }
        let ri = cubeIndex(colour.r), gi = cubeIndex(colour.g), bi = cubeIndex(colour.b)
        let cube = UInt8(16 + 36 * ri + 6 * gi + bi)
        let average = (Int(colour.r) + Int(colour.g) + Int(colour.b)) / 3
        let greyStep = max(0, min(23, (average - 3) / 10))
        let grey = UInt8(232 + greyStep)
        return distanceSquared(color(at: cube), colour) <= distanceSquared(color(at: grey), colour) ? cube : grey
    }

    /// The nearest of the 16 ANSI colours (0–15).
    public static func nearest16(to colour: RGB) -> UInt8 {
        var best = 0
        var bestDistance = Int.max
        for (i, candidate) in ansi16.enumerated() {
            let d = distanceSquared(candidate, colour)
            if d < bestDistance { best = i; bestDistance = d }
        }
        return UInt8(best)
    }

    static func distanceSquared(_ a: RGB, _ b: RGB) -> Int {
        let dr = Int(a.r) - Int(b.r), dg = Int(a.g) - Int(b.g), db = Int(a.b) - Int(b.b)
        return dr * dr + dg * dg + db * db
    }
}
