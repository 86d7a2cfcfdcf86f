import Foundation
import OmniTensor

/// Smooth seeded 2-D value noise: a lattice of random values (one per integer point, from a `RandomStream`)
/// interpolated with smoothstep. `value(x, y)` lies in [0, 1]; features are about one lattice cell wide.
struct ValueNoise: Sendable {
    let size: Int
    let lattice: [Float]

    /// A `size × size` lattice that wraps around.
    init(seed: UInt64, size: Int = 16) {
        let stream = RandomStream(seed: seed, stream: 0x4E01_5E).split("value-noise")
        self.size = size
        lattice = (0..<(size * size)).map { stream.uniform(at: UInt64($0)) }
    }

    @inline(__always)
    func value(_ x: Float, _ y: Float) -> Float {
        let fx = x.rounded(.down), fy = y.rounded(.down)
        let tx = x - fx, ty = y - fy
        let sx = tx * tx * (3 - 2 * tx), sy = ty * ty * (3 - 2 * ty)
        let ix = ((Int(fx) % size) + size) % size, iy = ((Int(fy) % size) + size) % size
        let jx = (ix + 1) % size, jy = (iy + 1) % size
        let a = lattice[iy * size + ix], b = lattice[iy * size + jx]
        let c = lattice[jy * size + ix], d = lattice[jy * size + jx]
        return lerp(lerp(a, b, sx), lerp(c, d, sx), sy)
    }
}
