import Foundation
import OmniMedia

/// The head: ears, skull, hair, face (eyes that blink, brows, nose or snout, mouth) and head accessories.
extension PuppetScene {
    var hairPaint: Paint { paint(c.hairColour, thickness: head.radius * 0.9) }
    var hasHat: Bool { c.accessories.contains(where: \.isHat) }

    /// Hair that hangs behind the head and body (long hair, a bob's back, a ponytail, a bun).
    func drawHairBehind(into canvas: inout Canvas) {
        let h = head
        switch c.hair {
        case .long:
            canvas.draw(.capsule(h.local(0, -0.1), h.local(0, 1.9), h.radius * 1.12, h.radius * 1.0), hairPaint)
        case .bob:
            let keep = h.above(0.75)
            canvas.draw(.clipped(.ellipse(h.local(0, 0.05), h.radius * 1.16, h.radius * 1.08, h.roll), point: keep.point, normal: keep.normal), hairPaint)
        case .ponytail:
            let side: Float = c.seed % 2 == 0 ? 1 : -1
            canvas.draw(.capsule(h.local(side * 0.75, -0.55), h.local(side * 1.25, 0.7), h.radius * 0.3, h.radius * 0.17), hairPaint)
        case .bun where !hasHat:
            canvas.draw(.circle(h.local(0, -1.0), h.radius * 0.4), hairPaint)
        default:
            break
        }
    }

    func drawHead(into canvas: inout Canvas) {
        let h = head
        drawEars(into: &canvas)
        canvas.draw(.ellipse(h.centre, h.radius * 0.97, h.radius, h.roll), paint(c.skin, thickness: h.radius))
        drawHairFront(into: &canvas)
        drawFace(into: &canvas)
        drawHeadAccessories(into: &canvas)
    }

    func drawEars(into canvas: inout Canvas) {
        let h = head
        guard let animal = c.animal else {
            for j in [PoseJoint.rightEar, .leftEar] {
                guard let ear = at(j) else { continue }
                let out: Float = j == .rightEar ? -1 : 1
                canvas.draw(.ellipse(ear + h.across * (out * 0.06 * h.radius), h.radius * 0.19, h.radius * 0.27, h.roll),
                            paint(c.skin, thickness: h.radius * 0.2))
            }
            return
        }
        let fur = paint(c.skin, thickness: h.radius * 0.3)
        let inner = Paint(c.muzzle.mixed(with: Colour(hex: 0xF2A7B0), 0.5), shading: shading, thickness: h.radius * 0.2)
        for side: Float in [-1, 1] {
            switch animal {
            case .cat, .fox:
                let tall: Float = animal == .fox ? 1.55 : 1.35
                let base0 = h.local(side * 0.25, -0.78), base1 = h.local(side * 0.9, -0.35), tip = h.local(side * 0.78, -tall)
                canvas.draw(.polygon([base0, tip, base1], h.radius * 0.06), fur)
                let centroid = (base0 + base1 + tip) / 3
                canvas.draw(.polygon([base0, tip, base1].map { centroid + ($0 - centroid) * 0.5 }, 0), inner)
            case .bear, .mouse:
                let big: Float = animal == .mouse ? 0.45 : 0.3
                let centre = h.local(side * 0.72, -0.78)
                canvas.draw(.circle(centre, h.radius * big), fur)
                canvas.draw(.circle(centre, h.radius * big * 0.55), inner)
            case .rabbit:
                let base = h.local(side * 0.35, -0.75), tip = h.local(side * 0.5, -2.1)
                canvas.draw(.capsule(base, tip, h.radius * 0.22, h.radius * 0.2), fur)
                canvas.draw(.capsule(base + (tip - base) * 0.15, tip + (base - tip) * 0.1, h.radius * 0.1, h.radius * 0.09), inner)
            case .dog:
                let top = h.local(side * 0.78, -0.55), bottom = h.local(side * 1.05, 0.35)
                canvas.draw(.capsule(top, bottom, h.radius * 0.22, h.radius * 0.3), paint(c.skin.shaded(0.3), thickness: h.radius * 0.3))
            }
        }
    }

    func drawHairFront(into canvas: inout Canvas) {
        let h = head
        let r = h.radius
        let skull = Shape.circle(h.local(0, -0.05), r * 1.06)
        let partSlope: Float = c.seed % 3 == 0 ? 0.25 : (c.seed % 3 == 1 ? -0.25 : 0)
        func cap(_ hairline: Float) {
            let keep = h.above(hairline, slope: partSlope)
            canvas.draw(.clipped(skull, point: keep.point, normal: keep.normal), hairPaint)
        }
        if c.animal != nil {
            if c.hair == .spiky {
                for x: Float in [-0.22, 0, 0.22] {
                    canvas.draw(.polygon([h.local(x - 0.16, -0.85), h.local(x + 0.05, -1.3), h.local(x + 0.16, -0.85)], 0), paint(c.hairColour, thickness: r * 0.2))
                }
            }
            return
        }
        switch c.hair {
        case .bald:
            if c.style == .photo {
                canvas.draw(.ellipse(h.local(-0.3, -0.55), r * 0.3, r * 0.18, h.roll - 0.5), Paint(.white, opacity: 0.18, softness: r * 0.2))
            }
        case .short, .ponytail, .bun:
            cap(-0.32)
        case .bob:
            cap(-0.22)
            for side: Float in [-1, 1] {   // side locks over the cheeks
                canvas.draw(.capsule(h.local(side * 0.82, -0.3), h.local(side * 0.9, 0.55), r * 0.2, r * 0.16), hairPaint)
            }
        case .long:
            cap(-0.28)
            for side: Float in [-1, 1] {
                canvas.draw(.capsule(h.local(side * 0.86, -0.3), h.local(side * 1.0, 1.0), r * 0.2, r * 0.2), hairPaint)
            }
        case .spiky:
            if !hasHat {
                for angle: Float in [-1.0, -0.5, 0, 0.5, 1.0] {
                    let dir = Point2(sinf(angle), -cosf(angle))
                    let base = h.local(0, -0.05)
                    let tip = base + (h.across * dir.x + h.down * dir.y) * (r * 1.42)
                    let side = (h.across * dir.y * -1 + h.down * dir.x) * (r * 0.32)
                    let mid = base + (h.across * dir.x + h.down * dir.y) * (r * 0.8)
                    canvas.draw(.polygon([mid - side, tip, mid + side], 0), hairPaint)
                }
            }
            cap(-0.3)
        case .curly:
            for k in 0..<9 {
                let angle = -Float.pi * 0.95 + Float(k) * (Float.pi * 0.9 / 8) + Float.pi * 0.0
                let p = h.local(cosf(angle) * 0.9, sinf(angle) * 0.88 - 0.08)
                canvas.draw(.circle(p, r * 0.34), hairPaint)
            }
            cap(-0.38)
        }
    }

    func drawFace(into canvas: inout Canvas) {
        let h = head
        let r = h.radius
        let shift = h.across * (h.yaw * 0.42 * r)
        let nose = at(.nose) ?? h.local(0, 0.3) + shift * 1.15
        let dark = Colour(hex: 0x221A1E)
        let photo = c.style == .photo

        // Cheeks and snout.
        if !photo && c.animal == nil {
            for side: Float in [-1, 1] {
                canvas.draw(.circle(h.local(side * 0.55, 0.38) + shift * 0.8, r * 0.16), Paint(Colour(hex: 0xF08A8A), opacity: 0.35))
            }
        }
        if let animal = c.animal {
            let snout = nose + h.down * (0.12 * r)
            let wide: Float = animal == .bear || animal == .dog ? 0.48 : 0.4
            canvas.draw(.ellipse(snout, r * wide, r * 0.32, h.roll), paint(c.muzzle, thickness: r * 0.3, outlined: false))
            canvas.draw(.ellipse(nose, r * 0.13, r * 0.09, h.roll), paint(dark, thickness: r * 0.1, outlined: false))
            if animal == .cat && r > 7 {
                for side: Float in [-1, 1] {
                    for dy: Float in [-0.05, 0.08] {
                        let a = snout + h.across * (side * 0.3 * r) + h.down * (dy * r)
                        let b = a + h.across * (side * 0.55 * r) + h.down * (dy * 0.8 * r)
                        canvas.draw(.capsule(a, b, 0.25, 0.25), Paint(dark, opacity: 0.7))
                    }
                }
            }
        } else if photo {
            canvas.draw(.ellipse(nose + h.down * (0.06 * r), r * 0.12, r * 0.07, h.roll), Paint(c.skin.shaded(0.35), opacity: 0.6, softness: max(1, r * 0.08)))
        } else if r > 6 {
            canvas.draw(.ellipse(nose, r * 0.08, r * 0.06, h.roll), Paint(c.skin.shaded(0.3), opacity: 0.8))
        }

        // Eyes.
        let open = 1 - clamp01(face.blink)
        let eyeScale: Float = c.eyes == .big ? 1.35 : 1
        let eyeRadius = r * 0.13 * eyeScale * (photo ? 0.85 : 1)
        let aspect: Float
        switch c.eyes {
        case .round: aspect = 1
        case .oval: aspect = 1.3
        case .narrow: aspect = 0.62
        case .big: aspect = 1.2
        }
        for j in [PoseJoint.rightEye, .leftEye] {
            guard let eye = at(j) else { continue }
            if open < 0.3 {
                canvas.draw(.capsule(eye - h.across * eyeRadius, eye + h.across * eyeRadius, max(0.3, r * 0.03), max(0.3, r * 0.03)), Paint(dark))
                continue
            }
            let ry = eyeRadius * aspect * open
            if eyeRadius >= 1.6 {
                canvas.draw(.ellipse(eye, eyeRadius * 1.05, ry * 1.05, h.roll), Paint(.white, outline: photo ? nil : dark, outlineWidth: outlineWidth * 0.8))
                let irisShift = h.across * (h.yaw * eyeRadius * 0.3)
                let iris = Shape.ellipse(eye + irisShift, eyeRadius * 0.68, min(eyeRadius * 0.68, ry * 0.95), h.roll)
                canvas.draw(iris, Paint(c.eyeColour))
                canvas.draw(.ellipse(eye + irisShift, eyeRadius * 0.34, min(eyeRadius * 0.34, ry * 0.6), h.roll), Paint(dark))
                canvas.draw(.circle(eye + irisShift + (h.across - h.down) * (eyeRadius * 0.25), eyeRadius * 0.18), Paint(.white, opacity: 0.9))
            } else {
                canvas.draw(.ellipse(eye, max(0.55, eyeRadius), max(0.45, ry), h.roll), Paint(c.eyeColour.mixed(with: dark, 0.6)))
            }
        }

        // Brows.
        if c.brows != .none && c.animal == nil {
            let browColour = c.hair == .bald ? c.skin.shaded(0.45) : c.hairColour.shaded(0.25)
            let thick: Float = c.brows == .thick ? 0.085 : 0.05
            for (j, side) in [(PoseJoint.rightEye, Float(-1)), (PoseJoint.leftEye, Float(1))] {
                guard let eye = at(j) else { continue }
                let base = eye - h.down * (r * (0.3 + 0.12 * face.browRaise) + eyeRadius * (aspect - 1) * 0.5)
                let inner = base - h.across * (side * 0.2 * r) + h.down * (c.brows == .arched ? 0.04 * r : 0)
                let outer = base + h.across * (side * 0.2 * r) + h.down * (c.brows == .arched ? 0.02 * r : -0.02 * r)
                let mid = base - h.down * (c.brows == .arched ? 0.05 * r : 0)
                let w = max(0.35, thick * r)
                canvas.draw(.capsule(inner, mid, w, w), Paint(browColour))
                canvas.draw(.capsule(mid, outer, w, w * 0.8), Paint(browColour))
            }
        }

        drawMouth(into: &canvas, nose: nose)
    }

    func drawMouth(into canvas: inout Canvas, nose: Point2) {
        let h = head
        let r = h.radius
        let open = clamp01(face.mouthOpen)
        let centre = nose + h.down * ((c.animal != nil ? 0.3 : 0.3) * r)
        let width = r * 0.5 * c.mouthWidth * face.mouthWidth * (1 - 0.15 * open)
        let height = r * 0.45 * open
        let lip = c.style == .photo ? c.skin.mixed(with: Colour(hex: 0x9A3B3B), 0.45) : Colour(hex: 0x3A1A22)
        if height < 0.07 * r {
            // Closed: a slight smile.
            let w = max(0.35, 0.045 * r)
            let left = centre - h.across * (width / 2) - h.down * (0.05 * r), right = centre + h.across * (width / 2) - h.down * (0.05 * r)
            let mid = centre + h.down * (0.03 * r)
            canvas.draw(.capsule(left, mid, w, w), Paint(lip))
            canvas.draw(.capsule(mid, right, w, w), Paint(lip))
            return
        }
        let ry = height / 2 + 0.03 * r
        let mouth = Shape.ellipse(centre, width / 2, ry, h.roll)
        canvas.draw(mouth, Paint(Colour(hex: 0x4A1018), outline: c.style == .photo ? nil : lip, outlineWidth: outlineWidth * 0.8))
        if height > 0.14 * r {
            let tongueLine = centre + h.down * (ry * 0.35)
            canvas.draw(.clipped(.ellipse(centre + h.down * (ry * 0.5), width * 0.3, ry * 0.55, h.roll), point: tongueLine, normal: h.down * -1),
                        Paint(Colour(hex: 0xD8606A), opacity: 0.9))
            if c.teeth {
                let teethLine = centre - h.down * (ry * 0.45)
                canvas.draw(.clipped(.ellipse(centre, width / 2 * 0.9, ry * 0.88, h.roll), point: teethLine, normal: h.down), Paint(Colour(hex: 0xF4F1EA)))
            }
        }
    }

    func drawHeadAccessories(into canvas: inout Canvas) {
        let h = head
        let r = h.radius
        if c.accessories.contains(.glasses), let re = at(.rightEye), let le = at(.leftEye) {
            let frame = Paint(Colour(hex: 0x1E1E24))
            let w = max(0.5, 0.07 * r)
            canvas.draw(.ring(.circle(re, r * 0.27), w), frame)
            canvas.draw(.ring(.circle(le, r * 0.27), w), frame)
            canvas.draw(.capsule(re + h.across * (r * 0.27), le - h.across * (r * 0.27), w / 2, w / 2), frame)
        }
        let hat = paint(c.accessoryColour, thickness: r * 0.6)
        if c.accessories.contains(.beanie) {
            let keep = h.above(-0.3)
            canvas.draw(.clipped(.ellipse(h.local(0, -0.3), r * 1.1, r * 0.95, h.roll), point: keep.point, normal: keep.normal), hat)
            canvas.draw(.capsule(h.local(-1.02, -0.36), h.local(1.02, -0.36), r * 0.15, r * 0.15), paint(c.accessoryColour.shaded(0.2), thickness: r * 0.15))
            canvas.draw(.circle(h.local(0, -1.27), r * 0.2), paint(c.accessoryColour.shaded(-0.4), thickness: r * 0.2))
        }
        if c.accessories.contains(.cap) {
            let keep = h.above(-0.35)
            canvas.draw(.clipped(.circle(h.local(0, -0.15), r * 1.08), point: keep.point, normal: keep.normal), hat)
            canvas.draw(.ellipse(h.local(0, -0.38), r * 1.0, r * 0.16, h.roll), paint(c.accessoryColour.shaded(0.25), thickness: r * 0.15))
        }
        if c.accessories.contains(.topHat) {
            let black = paint(Colour(hex: 0x26232A), thickness: r * 0.6)
            canvas.draw(.polygon([h.local(-0.6, -0.72), h.local(0.6, -0.72), h.local(0.6, -1.7), h.local(-0.6, -1.7)], r * 0.04), black)
            canvas.draw(.polygon([h.local(-0.6, -0.78), h.local(0.6, -0.78), h.local(0.6, -0.98), h.local(-0.6, -0.98)], 0), paint(c.accessoryColour, thickness: r * 0.1))
            canvas.draw(.ellipse(h.local(0, -0.72), r * 1.12, r * 0.15, h.roll), black)
        }
    }
}
