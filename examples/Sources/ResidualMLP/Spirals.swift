// Implements: the example's own data set: `classes` interleaved spirals in the plane, drawn from
// a seed, as a Cohort `Dataset` (samples (N, 2) floats, labels (N) in 0..<classes).
import Cohort
import Foundation

enum Spirals {
    /// `perClass` points on each of `classes` arms, with a little noise.
    static func make(perClass: Int, classes: Int = 3, seed: UInt64) -> Dataset {
        var rng = RNG(seed: seed)
        let n = perClass * classes
        let points = Tensor(zeros: [n, 2])
        var labels = [Int32](repeating: 0, count: n)
        for c in 0..<classes {
            for i in 0..<perClass {
                let r = Float(i) / Float(perClass)
                let angle = Float(c) * 2 * .pi / Float(classes) + 4 * r + 0.2 * rng.normal()
                let k = c * perClass + i
                points[2 * k] = r * cosf(angle)
                points[2 * k + 1] = r * sinf(angle)
                labels[k] = Int32(c)
            }
        }
        return Dataset(images: points, labels: labels, classes: classes)
    }
}
