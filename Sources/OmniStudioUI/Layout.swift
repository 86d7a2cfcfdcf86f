/// Where everything goes for a terminal of `width × height` cells — a pure function of the size.
public struct Layout: Sendable, Equatable {
    public static let minWidth = 60
    public static let minHeight = 18

    public let width: Int
    public let height: Int
    public let tooSmall: Bool
    public let panes: [Pane: Rect]

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
        tooSmall = width < Layout.minWidth || height < Layout.minHeight
        var p: [Pane: Rect] = [:]
        if !tooSmall {
            let top = 1, body = height - 2
            if width >= 120 {
                // Three columns: files + history | switchboard + prompt | preview + progress.
                let left = width * 27 / 100, middle = width * 32 / 100, right = width - left - middle
                let pickerH = body * 55 / 100
                p[.picker] = Rect(x: 0, y: top, width: left, height: pickerH)
                p[.history] = Rect(x: 0, y: top + pickerH, width: left, height: body - pickerH)
                let promptH = max(4, body / 6)
                p[.switchboard] = Rect(x: left, y: top, width: middle, height: body - promptH)
                p[.prompt] = Rect(x: left, y: top + body - promptH, width: middle, height: promptH)
                let progressH = 7
                p[.preview] = Rect(x: left + middle, y: top, width: right, height: body - progressH)
                p[.progress] = Rect(x: left + middle, y: top + body - progressH, width: right, height: progressH)
            } else {
                // Two columns: files + history | switchboard, prompt, progress, preview.
                let left = width * 2 / 5, right = width - left
                let pickerH = body * 55 / 100
                p[.picker] = Rect(x: 0, y: top, width: left, height: pickerH)
                p[.history] = Rect(x: 0, y: top + pickerH, width: left, height: body - pickerH)
                let promptH = 3, progressH = 5
                let rest = body - promptH - progressH
                let switchH = max(4, min(18, rest * 55 / 100))
                p[.switchboard] = Rect(x: left, y: top, width: right, height: switchH)
                p[.prompt] = Rect(x: left, y: top + switchH, width: right, height: promptH)
                p[.progress] = Rect(x: left, y: top + switchH + promptH, width: right, height: progressH)
                p[.preview] = Rect(x: left, y: top + switchH + promptH + progressH, width: right, height: rest - switchH)
            }
        }
        panes = p
    }

    public func pane(at x: Int, _ y: Int) -> Pane? { Pane.allCases.first { panes[$0]?.contains(x, y) == true } }
}
