/// A layer or model: a tree whose leaves are tensors (parameters and buffers). Checkpoint keys equal the
/// structure: the stored property names joined with dots, list elements by index —
/// `blocks.3.attn.qkv.weight` is `blocks[3].attn.qkv.weight`. Found by reflection, so declaring a property
/// is all it takes; `@ModuleKey("name")` spells a key that is not a Swift name.
///
/// Stored properties that are `Tensor`, `Module`, `[Module]`, optionals of these, or `@ModuleKey` wrappers
/// of these are part of the tree; everything else (configs, numbers, caches) is ignored.
public protocol Module: AnyObject {}

extension Module {
    /// Every tensor in the tree with its checkpoint key, in declaration order.
    public func namedTensors() -> [(key: String, tensor: Tensor)] {
        var out: [(String, Tensor)] = []
        let walker = TreeWalker(tensor: { out.append(($0, $1)) }, module: { _ in })
        walker.collect(self, prefix: "")
        return out
    }

    /// This module and every module below it, in declaration order.
    public func modules() -> [any Module] {
        var out: [any Module] = [self]
        let walker = TreeWalker(tensor: { _, _ in }, module: { out.append($0) })
        walker.collect(self, prefix: "")
        return out
    }

    /// Tensors that train (those with `requiresGrad`).
    public func trainableParameters() -> [(key: String, tensor: Tensor)] {
        namedTensors().filter { $0.tensor.requiresGrad }
    }

    /// Total number of elements over all tensors.
    public var parameterCount: Int { namedTensors().reduce(0) { $0 + $1.tensor.count } }

    /// Sets `requiresGrad` on every tensor of the tree (freeze with false).
    public func setTrainable(_ trainable: Bool) {
        for (_, t) in namedTensors() { t.requiresGrad = trainable; if !trainable { t.zeroGrad() } }
    }

    public func zeroGrad() { for (_, t) in namedTensors() { t.zeroGrad() } }
}

/// Gives a stored property of a module a checkpoint key that differs from its Swift name.
@propertyWrapper
public struct ModuleKey<Value> {
    public let key: String
    public var wrappedValue: Value
    public init(wrappedValue: Value, _ key: String) {
        self.key = key
        self.wrappedValue = wrappedValue
    }
}

private protocol KeyedChild {
    var childKey: String { get }
    var childValue: Any { get }
}

extension ModuleKey: KeyedChild {
    var childKey: String { key }
    var childValue: Any { wrappedValue }
}

/// Walks a module tree by reflection, reporting each tensor with its key and each module below the root.
private struct TreeWalker {
    let tensor: (String, Tensor) -> Void
    let module: (any Module) -> Void

    func collect(_ value: Any, prefix: String) {
        var mirror: Mirror? = Mirror(reflecting: value)
        var levels: [Mirror] = []
        while let m = mirror { levels.append(m); mirror = m.superclassMirror }
        for level in levels.reversed() {
            for child in level.children {
                guard var label = child.label else { continue }
                var v = child.value
                if let keyed = v as? KeyedChild {
                    label = keyed.childKey
                    v = keyed.childValue
                }
                visit(v, key: prefix.isEmpty ? label : prefix + "." + label)
            }
        }
    }

    func visit(_ value: Any, key: String) {
        switch value {
        case let t as Tensor: tensor(key, t)
        case let m as any Module: module(m); collect(m, prefix: key)
        case let list as [any Module]:
            for (i, m) in list.enumerated() { module(m); collect(m, prefix: key + ".\(i)") }
        case let list as [Tensor]:
            for (i, t) in list.enumerated() { tensor(key + ".\(i)", t) }
        default:
            // Optionals: unwrap one level through reflection.
            let mirror = Mirror(reflecting: value)
            if mirror.displayStyle == .optional, let inner = mirror.children.first?.value {
                visit(inner, key: key)
            }
        }
    }
}
