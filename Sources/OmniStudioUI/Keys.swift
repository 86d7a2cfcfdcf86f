import OmniModel

/// A key or mouse event, already decoded from the terminal (the ncurses shell maps its codes to these).
public enum Key: Equatable, Sendable {
    public enum Mouse: Equatable, Sendable { case click, wheelUp, wheelDown }
    case char(Character)
    case enter, tab, backTab, escape, backspace, delete, up, down, left, right, home, end, pageUp, pageDown, f1
    case ctrl(Character)
    case mouse(x: Int, y: Int, Mouse)
}

/// What the view-model asks its shell to do; everything else it does to itself.
public enum Effect: Equatable, Sendable {
    case start(GenerationRequest)
    case cancel
    case quit
    case editPromptExternally
    case redraw
    case themeChanged(String)
}

/// The six panes, numbered as their focus keys.
public enum Pane: Int, CaseIterable, Sendable {
    case picker = 1, switchboard, prompt, preview, progress, history
    public var title: String {
        switch self {
        case .picker: return "1 Files"
        case .switchboard: return "2 Switchboard"
        case .prompt: return "3 Prompt"
        case .preview: return "4 Preview"
        case .progress: return "5 Progress"
        case .history: return "6 History"
        }
    }
}
