import CZlib
import Data
import Foundation
import XCTest

final class IDXTests: XCTestCase {
    var dir = ""

    override func setUp() {
        dir = NSTemporaryDirectory() + "cohort-idx-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// Writes an IDX file (gzipped) with `magic`, sizes and data, cut to `keep` bytes if given.
    func writeIDX(_ name: String, magic: UInt32, sizes: [UInt32], data: [UInt8], keep: Int? = nil) -> String {
        var bytes: [UInt8] = []
        for w in [magic] + sizes { bytes += [UInt8(w >> 24), UInt8(w >> 16 & 255), UInt8(w >> 8 & 255), UInt8(w & 255)] }
        bytes += data
        if let keep { bytes = Array(bytes.prefix(keep)) }
        let path = "\(dir)/\(name)"
        let f = gzopen(path, "wb")!
        _ = bytes.withUnsafeBytes { gzwrite(f, $0.baseAddress, UInt32($0.count)) }
        gzclose(f)
        return path
    }

    func testReadsImagesAndLabelsScaledToUnitRange() throws {
        let imgs = writeIDX("i.gz", magic: 0x803, sizes: [2, 2, 3], data: [0, 255, 51, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        let lbls = writeIDX("l.gz", magic: 0x801, sizes: [2], data: [3, 9])
        let ds = try Dataset.load(images: imgs, labels: lbls)
        XCTAssertEqual(ds.count, 2)
        XCTAssertEqual(ds.sampleShape, [1, 2, 3])
        XCTAssertEqual(ds.labels, [3, 9])
        XCTAssertEqual(ds.images[1], 1.0)
        XCTAssertEqual(ds.images[2], 0.2, accuracy: 1e-6)
    }

    func testTruncatedWrongMagicMissingAndBadLabelsAreRefusedNamingTheFile() {
        let trunc = writeIDX("t.gz", magic: 0x803, sizes: [2, 2, 3], data: Array(repeating: 1, count: 12), keep: 20)
        XCTAssertThrowsError(try IDX.read(trunc, dims: 3)) { e in
            XCTAssertEqual(e as? DataError, .truncated(path: trunc, expected: 12, got: 4))
            XCTAssertTrue("\(e)".contains("t.gz"))
        }
        let wrong = writeIDX("w.gz", magic: 0x801, sizes: [2], data: [1, 2])
        XCTAssertThrowsError(try IDX.read(wrong, dims: 3)) { e in XCTAssertTrue("\(e)".contains("not an IDX file"), "\(e)") }
        XCTAssertThrowsError(try IDX.read("\(dir)/none.gz", dims: 1)) { e in XCTAssertEqual(e as? DataError, .missing(path: "\(dir)/none.gz")) }
        let imgs = writeIDX("i.gz", magic: 0x803, sizes: [1, 1, 1], data: [0])
        let lbls = writeIDX("l.gz", magic: 0x801, sizes: [1], data: [10])
        XCTAssertThrowsError(try Dataset.load(images: imgs, labels: lbls)) { e in XCTAssertTrue("\(e)".contains("label 10"), "\(e)") }
        let two = writeIDX("l2.gz", magic: 0x801, sizes: [2], data: [1, 1])
        XCTAssertThrowsError(try Dataset.load(images: imgs, labels: two)) { e in XCTAssertTrue("\(e)".contains("disagree"), "\(e)") }
    }

    func testRealFashionMNISTHasItsKnownSizes() throws {
        let dir = FashionMNIST.directory(override: nil)
        try XCTSkipUnless(FileManager.default.fileExists(atPath: dir + "/t10k-images-idx3-ubyte.gz"), "dataset-fashion-mnist not installed")
        let test = try FashionMNIST.load(directory: dir, train: false)
        XCTAssertEqual(test.count, 10_000)
        XCTAssertEqual(test.sampleShape, [1, 28, 28])
        XCTAssertEqual(Set(test.labels).count, 10)
    }
}
