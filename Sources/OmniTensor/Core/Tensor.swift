import Foundation

/// A Float32 tensor: contiguous, row-major, with a shape. Storage comes from `BufferPool` and may be shared
/// with other tensors by `reshaped` views; every other op produces a fresh tensor.
///
/// Autodiff: a tensor with `requiresGrad` receives a gradient in `grad` when `Tape.backward` runs. Ops record
/// onto the active `Tape` (see `Tape.record`) only when one is active and an input requires a gradient; with
/// no tape active (inference) nothing is recorded and nothing is kept alive.
public final class Tensor: @unchecked Sendable, CustomStringConvertible {
    public let shape: [Int]
    public let count: Int
    let storage: TensorStorage
    /// Whether gradients flow into this tensor (parameters, and results of recorded ops).
    public var requiresGrad: Bool
    /// The accumulated gradient (same shape), allocated on first accumulation.
    public var grad: Tensor?

    /// An uninitialised tensor: every element must be written before it is read.
    public init(uninitialized shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.storage = TensorStorage(count: count)
        self.requiresGrad = false
    }

    /// A view of `storage` with another shape of the same element count.
    init(sharing storage: TensorStorage, shape: [Int]) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        precondition(count <= storage.count)
        self.storage = storage
        self.requiresGrad = false
    }

    public convenience init(zeros shape: [Int]) {
        self.init(uninitialized: shape)
        data.initialize(repeating: 0, count: count)
    }

    public convenience init(repeating value: Float, shape: [Int]) {
        self.init(uninitialized: shape)
        data.initialize(repeating: value, count: count)
    }

    public convenience init(_ values: [Float], shape: [Int]) {
        self.init(uninitialized: shape)
        precondition(values.count == count, "\(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    /// A scalar (rank 0).
    public convenience init(scalar: Float) { self.init([scalar], shape: []) }

    /// The elements, row-major. Valid while the tensor lives.
    public var data: UnsafeMutablePointer<Float> { storage.pointer }
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: storage.pointer, count: count) }
    public var values: [Float] { Array(buffer) }
    public var rank: Int { shape.count }
    /// The single element of a one-element tensor.
    public var item: Float { precondition(count == 1, "item of a tensor of shape \(shape)"); return data[0] }

    public func dim(_ axis: Int) -> Int { shape[axis < 0 ? shape.count + axis : axis] }

    /// A tensor with the same values that records nothing and requires no gradient.
    public func detached() -> Tensor {
        let t = Tensor(uninitialized: shape)
        t.data.update(from: data, count: count)
        return t
    }

    /// Copies `other`'s values into this tensor (same element count); not recorded.
    public func copyValues(from other: Tensor) {
        precondition(other.count == count, "copy of \(other.shape) into \(shape)")
        data.update(from: other.data, count: count)
    }

    public func fill(_ value: Float) { data.update(repeating: value, count: count) }

    /// The gradient buffer, zero-filled on first use: backward kernels accumulate (+=) into it.
    public func gradData() -> UnsafeMutablePointer<Float> {
        if let grad { return grad.data }
        let g = Tensor(zeros: shape)
        grad = g
        return g.data
    }

    public func zeroGrad() { grad = nil }

    public var description: String {
        let head = values.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor\(shape)[\(head)\(count > 8 ? ", …" : "")]"
    }
}
