// Implements: Dataset, images as floats in [0, 1] with their labels, in memory, and the
// Fashion-MNIST loader that finds Debian's dataset-fashion-mnist files.
// Shapes: images (N, 1, 28, 28) = (N, 784) floats; labels (N) Int32 in 0..<classes.
import Foundation
import Tensor

/// Samples as floats with their class labels, in memory.
public struct Dataset: @unchecked Sendable {
    /// (N, sample…) floats.
    public let images: Tensor
    /// N labels.
    public let labels: [Int32]
    /// Number of classes; every label is in 0..<classes.
    public let classes: Int
    /// Per-sample shape, e.g. [1, 28, 28].
    public var sampleShape: [Int] { Array(images.shape.dropFirst()) }
    /// Number of samples N.
    public var count: Int { labels.count }

    /// A data set of `images` (N, sample…) and N `labels`; nothing is checked.
    public init(images: Tensor, labels: [Int32], classes: Int) {
        self.images = images
        self.labels = labels
        self.classes = classes
    }

    /// Reads an image file and a label file (IDX, gz or not), checking they agree.
    public static func load(images imagePath: String, labels labelPath: String, classes: Int = 10) throws(DataError) -> Dataset {
        let (ishape, ibytes) = try IDX.read(imagePath, dims: 3)
        let (lshape, lbytes) = try IDX.read(labelPath, dims: 1)
        guard ishape[0] == lshape[0] else {
            throw .mismatch("data files disagree: \(imagePath) has \(ishape[0]) images, \(labelPath) has \(lshape[0]) labels")
        }
        let images = Tensor(zeros: [ishape[0], 1, ishape[1], ishape[2]])
        let p = images.pointer
        ibytes.withUnsafeBufferPointer { b in for i in 0..<b.count { p[i] = Float(b[i]) * (1.0 / 255.0) } }
        var labels = [Int32](repeating: 0, count: lbytes.count)
        for (i, v) in lbytes.enumerated() {
            guard Int(v) < classes else { throw .badLabel(path: labelPath, index: i, value: v) }
            labels[i] = Int32(v)
        }
        return Dataset(images: images, labels: labels, classes: classes)
    }
}

/// Fashion-MNIST as Debian's `dataset-fashion-mnist` installs it.
public enum FashionMNIST {
    /// The Debian package that installs the files.
    public static let debianPackage = "dataset-fashion-mnist"
    /// Where that package usually puts them.
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"

    /// The directory holding the four files: `override` if given, else where the Debian package
    /// put them (asked of `dpkg -L`), else the package's usual place.
    public static func directory(override: String?) -> String {
        if let override { return override }
        if FileManager.default.fileExists(atPath: defaultDirectory + "/train-images-idx3-ubyte.gz") { return defaultDirectory }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/dpkg")
        p.arguments = ["-L", debianPackage]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        if (try? p.run()) != nil {
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            if let hit = out.split(separator: "\n").first(where: { $0.hasSuffix("train-images-idx3-ubyte.gz") }) {
                return (String(hit) as NSString).deletingLastPathComponent
            }
        }
        return defaultDirectory
    }

    /// The training (60,000) or test (10,000) split.
    public static func load(directory: String, train: Bool) throws(DataError) -> Dataset {
        let prefix = train ? "train" : "t10k"
        let imgs = "\(directory)/\(prefix)-images-idx3-ubyte.gz", lbls = "\(directory)/\(prefix)-labels-idx1-ubyte.gz"
        if !FileManager.default.fileExists(atPath: imgs) && !FileManager.default.fileExists(atPath: lbls) {
            throw .notFound("Fashion-MNIST not found in \(directory) (expected \(prefix)-images-idx3-ubyte.gz)")
        }
        return try Dataset.load(images: imgs, labels: lbls)
    }
}
