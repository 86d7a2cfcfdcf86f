import Foundation
import OmniMedia

/// A line chart of training losses, drawn into an `RGBImage` with this project's own rasteriser and bitmap font.
/// The x axis is the training step; the y axis is the loss, log-scaled by default. Image sizes are in pixels.
public struct LossCurve {
    /// One line on the chart: `points` are (training step, loss value) pairs, drawn in `colour` and named in the
    /// legend. Points need not be sorted; non-finite values (and non-positive ones on a log axis) are skipped.
    public struct Series: Sendable {
        public var name: String
        public var points: [(step: Int, value: Double)]
        public var colour: RGB
        public init(name: String, points: [(step: Int, value: Double)], colour: RGB) {
            self.name = name; self.points = points; self.colour = colour
        }
    }

    static let ink = RGB(40, 40, 40)
    static let grid = RGB(225, 225, 225)

    /// Renders the chart at `width × height` pixels (at least 120 × 80). Any number of points is fine: each
    /// series is reduced to a min/max envelope per pixel column before drawing, so the cost is O(points + pixels).
    public static func render(title: String, series: [Series], width: Int = 640, height: Int = 360, logScale: Bool = true) -> RGBImage {
        let w = max(width, 120), h = max(height, 80)
        var image = RGBImage(width: w, height: h, fill: RGB(255, 255, 255))

        // Data ranges over the values that can be drawn.
        var xLo = Int.max, xHi = Int.min, yLo = Double.infinity, yHi = -Double.infinity
        for s in series {
            for p in s.points where usable(p.value, logScale) {
                xLo = min(xLo, p.step); xHi = max(xHi, p.step)
                yLo = min(yLo, p.value); yHi = max(yHi, p.value)
            }
        }
        if xLo > xHi { xLo = 0; xHi = 100 }
        if xHi - xLo < 5 { xHi = xLo + 5 }
        if yLo > yHi { (yLo, yHi) = logScale ? (0.01, 1) : (0, 1) }
        if yLo == yHi {
            if logScale { yLo /= 2; yHi *= 2 } else { let d = max(abs(yLo) * 0.1, 1e-3); yLo -= d; yHi += d }
        }
        let yTicks = ticks(min: yLo, max: yHi, logScale: logScale)
        let xTicks = niceTicks(lo: Double(xLo), hi: Double(xHi), minStep: 1)
        // The axes span the outer ticks (which enclose the data), except where a log axis fell back short.
        let ayLo = min(yTicks.first ?? yLo, yLo), ayHi = max(yTicks.last ?? yHi, yHi)
        let axLo = min(xTicks.first ?? Double(xLo), Double(xLo)), axHi = max(xTicks.last ?? Double(xHi), Double(xHi))

        // Layout: title on top, y labels on the left, x labels below.
        let yLabels = yTicks.map(formatValue)
        let left = (yLabels.map { BitmapFont.width(of: $0) }.max() ?? 0) + 12
        let titleScale = BitmapFont.width(of: title, scale: 2) <= w - 16 ? 2 : 1
        let top = BitmapFont.glyphHeight * titleScale + 16
        let right = w - 14, bottom = h - BitmapFont.glyphHeight - 14
        let t = { (v: Double) in logScale ? log10(v) : v }
        func px(_ step: Double) -> Int { left + pixel((step - axLo) / (axHi - axLo) * Double(right - left)) }
        func py(_ v: Double) -> Int { bottom - pixel((t(v) - t(ayLo)) / (t(ayHi) - t(ayLo)) * Double(bottom - top)) }

        // Gridlines, tick labels, frame, title.
        for (v, label) in zip(yTicks, yLabels) {
            let y = py(v)
            hline(&image, left, right, y, grid)
            BitmapFont.draw(label, x: left - 6 - BitmapFont.width(of: label), y: y - 3, colour: ink, into: &image)
        }
        for v in xTicks {
            let x = px(v), label = formatStep(v)
            vline(&image, x, top, bottom, grid)
            vline(&image, x, bottom, bottom + 3, ink)
            BitmapFont.draw(label, x: x - BitmapFont.width(of: label) / 2, y: bottom + 6, colour: ink, into: &image)
        }
        hline(&image, left, right, top, ink); hline(&image, left, right, bottom, ink)
        vline(&image, left, top, bottom, ink); vline(&image, right, top, bottom, ink)
        BitmapFont.draw(title, x: (w - BitmapFont.width(of: title, scale: titleScale)) / 2, y: 6, colour: ink, scale: titleScale, into: &image)

        // Lines: per pixel column keep the first, last, lowest and highest y; draw the column's span and join
        // each column to the previous one.
        let clip = (left + 1, top + 1, right - 2, bottom - 2)
        for s in series {
            let cols = right - left + 1
            var first = [Int](repeating: Int.min, count: cols), last = first, lo = first, hi = first
            for p in s.points where usable(p.value, logScale) {
                let c = px(Double(p.step)) - left, y = py(p.value)
                guard c >= 0 && c < cols else { continue }
                if first[c] == Int.min { first[c] = y; lo[c] = y; hi[c] = y }
                last[c] = y; lo[c] = min(lo[c], y); hi[c] = max(hi[c], y)
            }
            var prev: (x: Int, y: Int)? = nil
            for c in 0..<cols where first[c] != Int.min {
                let x = left + c
                if let p = prev { line(&image, p.x, p.y, x, first[c], s.colour, clip) }
                line(&image, x, lo[c], x, hi[c], s.colour, clip)
                prev = (x, last[c])
            }
        }

        // Legend in the top-right corner of the plot.
        if !series.isEmpty {
            let textW = series.map { BitmapFont.width(of: $0.name) }.max() ?? 0
            let boxW = textW + 30, boxH = series.count * 12 + 6
            let bx = right - boxW - 6, by = top + 6
            fill(&image, bx, by, bx + boxW, by + boxH, RGB(255, 255, 255))
            hline(&image, bx, bx + boxW, by, ink); hline(&image, bx, bx + boxW, by + boxH, ink)
            vline(&image, bx, by, by + boxH, ink); vline(&image, bx + boxW, by, by + boxH, ink)
            for (i, s) in series.enumerated() {
                let y = by + 5 + i * 12
                fill(&image, bx + 5, y + 2, bx + 18, y + 4, s.colour)
                BitmapFont.draw(s.name, x: bx + 24, y: y, colour: ink, into: &image)
            }
        }
        return image
    }

    /// Renders the chart and writes it as a PNG at `path` (`PendingFile`: an interrupted write never leaves a
    /// half-written PNG behind).
    public static func write(title: String, series: [Series], to path: String, width: Int = 640, height: Int = 360, logScale: Bool = true) throws {
        let image = render(title: title, series: series, width: width, height: height, logScale: logScale)
        try PendingFile.write(try ImageFile.encodePNG(image, path: path), to: path)
    }

    /// Tick values for an axis covering `min...max`, 4–6 of them where possible, enclosing the range. Log scale:
    /// 1 and 3 times powers of ten (decades only, or every n-th decade, for wide ranges; 1-2-5 or plain linear
    /// steps for narrow ones). Linear: multiples of 1, 2, 2.5 or 5 times a power of ten.
    static func ticks(min lo: Double, max hi: Double, logScale: Bool) -> [Double] {
        guard lo.isFinite, hi.isFinite, lo < hi else { return [] }
        guard logScale, lo > 0 else { return niceTicks(lo: lo, hi: hi, minStep: 0) }
        let halves = logTicks(lo, hi, mantissas: [1, 3], every: 1)
        if halves.count < 4 {
            let fine = logTicks(lo, hi, mantissas: [1, 2, 5], every: 1)
            if fine.count >= 4 && fine.count <= 6 { return fine }
            let linear = niceTicks(lo: lo, hi: hi, minStep: 0).filter { $0 > 0 }
            return linear.count >= 2 ? linear : fine
        }
        if halves.count <= 6 { return halves }
        var every = 1
        while true {
            let decades = logTicks(lo, hi, mantissas: [1], every: every)
            if decades.count <= 6 { return decades }
            every += 1
        }
    }

    /// Values m·10^k (m in `mantissas`, k a multiple of `every`) from the largest one ≤ lo to the smallest ≥ hi.
    static func logTicks(_ lo: Double, _ hi: Double, mantissas: [Double], every: Int) -> [Double] {
        let k0 = Int(floor(log10(lo))) - every, k1 = Int(ceil(log10(hi))) + every
        var all: [Double] = []
        for k in k0...k1 where ((k % every) + every) % every == 0 {
            for m in mantissas { all.append(m * pow(10, Double(k))) }
        }
        let eps = 1e-9
        let start = all.lastIndex { $0 <= lo * (1 + eps) } ?? 0
        let end = all.firstIndex { $0 >= hi * (1 - eps) } ?? all.count - 1
        return Array(all[start...end])
    }

    /// Multiples of a 1/2/2.5/5 × 10^k step (at least `minStep`) from ≤ lo to ≥ hi, the count closest to 5.
    static func niceTicks(lo: Double, hi: Double, minStep: Double) -> [Double] {
        guard hi > lo, (hi - lo).isFinite, max(abs(lo), abs(hi)) / (hi - lo) < 1e12 else { return [lo, hi] }
        let mag = pow(10, floor(log10((hi - lo) / 5)))
        var best: [Double] = []
        for step in [0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10].map({ $0 * mag }) where step >= minStep {
            let a = Int(floor(lo / step + 1e-9)), b = Int(ceil(hi / step - 1e-9))
            let ticks = (a...b).map { Double($0) * step }
            if best.isEmpty || abs(ticks.count - 5) < abs(best.count - 5) { best = ticks }
        }
        return best
    }

    /// A pixel offset from a Double, safe for NaN and huge values.
    static func pixel(_ v: Double) -> Int { v.isNaN ? 0 : Int(min(max(v, -1e6), 1e6).rounded()) }

    static func usable(_ v: Double, _ logScale: Bool) -> Bool { v.isFinite && (!logScale || v > 0) }

    /// A y label: "%g" with tidy exponents ("0.03", "2.5", "1e-5", "1e6").
    static func formatValue(_ v: Double) -> String {
        var s = String(format: "%g", v)
        s = s.replacingOccurrences(of: "e+0", with: "e").replacingOccurrences(of: "e-0", with: "e-").replacingOccurrences(of: "e+", with: "e")
        return s
    }

    /// An x label: step counts as "500", "1k", "1.5k", "2M".
    static func formatStep(_ v: Double) -> String {
        func trim(_ x: Double) -> String {
            var s = String(format: "%.2f", x)
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
            return s
        }
        if abs(v) >= 1_000_000 { return trim(v / 1_000_000) + "M" }
        if abs(v) >= 1000 { return trim(v / 1000) + "k" }
        return trim(v)
    }

    // Drawing primitives; everything is clipped to the image.
    static func set(_ image: inout RGBImage, _ x: Int, _ y: Int, _ c: RGB) {
        if x >= 0 && y >= 0 && x < image.width && y < image.height { image[x, y] = c }
    }
    static func hline(_ image: inout RGBImage, _ x0: Int, _ x1: Int, _ y: Int, _ c: RGB) { for x in x0...x1 { set(&image, x, y, c) } }
    static func vline(_ image: inout RGBImage, _ x: Int, _ y0: Int, _ y1: Int, _ c: RGB) { for y in y0...y1 { set(&image, x, y, c) } }
    static func fill(_ image: inout RGBImage, _ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: RGB) {
        for y in y0...y1 { hline(&image, x0, x1, y, c) }
    }

    /// Bresenham's line, 2 pixels thick (each point plots a 2×2 block), kept inside `clip` (x0, y0, x1, y1).
    static func line(_ image: inout RGBImage, _ xa: Int, _ ya: Int, _ xb: Int, _ yb: Int, _ c: RGB, _ clip: (Int, Int, Int, Int)) {
        var x = xa, y = ya
        let dx = abs(xb - xa), dy = -abs(yb - ya), sx = xa < xb ? 1 : -1, sy = ya < yb ? 1 : -1
        var err = dx + dy
        while true {
            let cx = min(max(x, clip.0), clip.2), cy = min(max(y, clip.1), clip.3)
            set(&image, cx, cy, c); set(&image, cx + 1, cy, c); set(&image, cx, cy + 1, c); set(&image, cx + 1, cy + 1, c)
            if x == xb && y == yb { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }
}
