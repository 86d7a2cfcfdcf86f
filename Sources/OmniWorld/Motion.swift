import Foundation
import OmniTensor

/// One motion of the library with its per-clip variation: a skeleton animation `params(at:context:)` as a
/// function of time in seconds, in the canonical skeleton space of `PoseParams`.
public struct Motion: Sendable, Codable, Equatable {
    public var kind: MotionKind
    /// Tempo factor (1 = the motion's natural speed).
    public var speed: Float
    /// Size of the movement (1 = natural).
    public var amplitude: Float
    /// Phase offset in seconds.
    public var phase: Float
    /// Which of a motion's variants (dance moves, turn direction …), 0…2.
    public var variant: Int

    public init(kind: MotionKind, speed: Float = 1, amplitude: Float = 1, phase: Float = 0, variant: Int = 0) {
        self.kind = kind; self.speed = speed; self.amplitude = amplitude; self.phase = phase; self.variant = variant
    }

    /// A random variation of `kind`.
    public static func random(_ kind: MotionKind, _ rng: inout RandomStream) -> Motion {
        Motion(kind: kind, speed: rng.uniform(0.85, 1.2), amplitude: rng.uniform(0.8, 1.15), phase: rng.uniform(0, 4),
               variant: rng.integer(in: 0...2))
    }

    /// The pose at `time` seconds.
    public func params(at time: Double, context: MotionContext) -> PoseParams {
        let t = Float(time)
        let tt = t * speed + phase
        let a = amplitude
        var p = Motion.breathing(t + phase)
        func wave(_ hz: Float, _ offset: Float = 0) -> Float { sinf(2 * .pi * (hz * tt + offset)) }
        switch kind {
        case .idle:
            p.headRoll += 0.04 * wave(0.13)
            p.headYaw += 0.08 * wave(0.09, 0.3)
        case .nod:
            p.headPitch = a * (0.15 + 0.45 * wave(1.3))
        case .tilt:
            p.headRoll = a * 0.28 * wave(0.35)
            p.headYaw = 0.12 * wave(0.2)
        case .talk:
            let e = context.energy(at: time)
            let e2 = context.energy(at: time + 0.15)
            p.armRaise[0] = 0.15 + a * e * (0.25 + 0.15 * wave(0.6))
            p.armBend[0] = -0.15 - a * e * (0.9 + 0.45 * wave(0.9, 0.25))
            p.armRaise[1] = 0.15 + a * e2 * (0.2 + 0.15 * wave(0.5, 0.5))
            p.armBend[1] = -0.15 - a * e2 * (0.8 + 0.45 * wave(0.8, 0.6))
            p.headPitch = 0.18 * e * wave(2.1)
            p.headRoll += 0.07 * e * wave(0.45, 0.2)
            p.headYaw += 0.12 * wave(0.17)
        case .waveRight, .waveLeft:
            let s = kind == .waveRight ? 0 : 1
            p.armRaise[s] = 2.35
            p.armBend[s] = .pi - 2.35 + a * 0.38 * wave(2.0)
            p.lean = (s == 0 ? 1 : -1) * 0.04
            p.headRoll += (s == 0 ? -1 : 1) * 0.05
        case .clap:
            let apart = 0.5 + 0.5 * cosf(2 * .pi * 2.0 * tt)
            for s in 0..<2 {
                p.armRaise[s] = 0.05
                p.armBend[s] = -1.35 + 0.6 * apart * a - 0.05
            }
        case .raiseArms:
            let u: Float = variant == 0 ? 0.5 - 0.5 * cosf(2 * .pi * 0.45 * tt) : 0.92 + 0.08 * wave(1.2)
            for s in 0..<2 {
                p.armRaise[s] = 0.12 + 2.55 * u * min(1.05, a)
                p.armBend[s] = 0.25 * u - 0.1 * (1 - u)
            }
            p.headPitch = -0.2 * u
        case .pointRight, .pointLeft:
            let s = kind == .pointRight ? 0 : 1
            p.armRaise[s] = .pi / 2 - 0.08 + 0.05 * wave(0.5)
            p.armBend[s] = 0.04
            p.headYaw = (s == 0 ? -1 : 1) * 0.35 * a
            p.lean = (s == 0 ? 1 : -1) * 0.03
        case .jump:
            let period: Float = 1.1
            let q = (tt / period) - (tt / period).rounded(.down)
            let air = q > 0.25 && q < 0.75 ? sinf(.pi * (q - 0.25) / 0.5) : 0
            let squat = q <= 0.25 ? sinf(.pi * q / 0.25) : (q >= 0.75 ? sinf(.pi * (q - 0.75) / 0.25) : 0)
            p.offset.y = -0.13 * a * air
            p.crouch = 0.7 * squat
            for s in 0..<2 {
                p.armRaise[s] = 0.25 + 1.2 * air - 0.1 * squat
                p.armBend[s] = 0.2 * air
                p.legLift[s] = 0.25 * air
                p.legSpread[s] = 0.04 + 0.06 * air
            }
        case .walk:
            let step = wave(0.9)
            p.legLift[0] = a * max(0, step) * 0.85
            p.legLift[1] = a * max(0, -step) * 0.85
            p.offset.y = -0.012 * abs(step)
            p.armRaise[0] = 0.15 + 0.22 * -step
            p.armRaise[1] = 0.15 + 0.22 * step
            p.armBend[0] = -0.35; p.armBend[1] = -0.35
            p.lean = 0.025 * step
        case .turn:
            let dir: Float = variant == 1 ? -1 : 1
            p.turn = dir * a * 0.85 * wave(0.22)
            p.headYaw = dir * 0.15 * wave(0.22, 0.05)
        case .dance:
            let beats = Float(context.beats(at: time))
            let beat = cosf(2 * .pi * beats)
            let half = sinf(.pi * beats)
            p.crouch = 0.35 * (0.5 + 0.5 * beat) * a
            p.offset.x = 0.03 * half * a
            p.lean = 0.09 * half * a
            p.headPitch = 0.22 * beat
            p.headRoll = 0.1 * half
            switch variant {
            case 0:
                p.armRaise[0] = 0.35 + 1.7 * max(0, half) * a
                p.armRaise[1] = 0.35 + 1.7 * max(0, -half) * a
                p.armBend[0] = 0.3 * max(0, half); p.armBend[1] = 0.3 * max(0, -half)
            case 1:
                for s in 0..<2 { p.armRaise[s] = 2.4; p.armBend[s] = 0.45 * half * (s == 0 ? 1 : -1) }
            default:
                p.armRaise[0] = half > 0 ? 2.4 : 0.7
                p.armRaise[1] = half > 0 ? 0.7 : 2.4
                p.armBend[0] = 0.1; p.armBend[1] = 0.1
                let blend = smoothstep(0, 0.35, abs(half))
                p.armRaise[0] = lerp(1.55, p.armRaise[0], blend); p.armRaise[1] = lerp(1.55, p.armRaise[1], blend)
            }
            p.legSpread[0] = 0.08; p.legSpread[1] = 0.08
        }
        return p
    }

    /// The always-on layer: breathing (≈ 0.28 Hz), a slight sway and arms relaxed at the sides.
    static func breathing(_ t: Float) -> PoseParams {
        var p = PoseParams()
        p.breathe = sinf(2 * .pi * t / 3.6)
        p.offset.x = 0.004 * sinf(2 * .pi * t / 5.3)
        p.headRoll = 0.02 * sinf(2 * .pi * t / 4.1)
        p.armRaise = [0.12 + 0.01 * p.breathe, 0.12 + 0.01 * p.breathe]
        return p
    }
}
