/// A list pane's cursor: the selected row and the first visible row, over `itemCount` rows. The picker and the
/// history share the movement and scrolling rules through this protocol.
public protocol ScrollableList {
    var selected: Int { get set }
    var scroll: Int { get set }
    var itemCount: Int { get }
}

extension ScrollableList {
    /// Moves the selection by `delta` rows, clamped to the list.
    public mutating func move(_ delta: Int) {
        guard itemCount > 0 else { return }
        selected = max(0, min(itemCount - 1, selected + delta))
    }

    /// Scrolls so the selection is visible in `rows` lines.
    public mutating func keepVisible(rows: Int) {
        guard rows > 0 else { return }
        if selected < scroll { scroll = selected }
        if selected >= scroll + rows { scroll = selected - rows + 1 }
        scroll = max(0, min(scroll, max(0, itemCount - rows)))
    }
}
