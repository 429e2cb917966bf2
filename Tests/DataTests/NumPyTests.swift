// NumPy: .npy arrays of each dtype read back exactly, and .npz members stored or deflated (zip64
// sizes as numpy.savez writes them) read like the .npy they hold; a mapped float32 body is viewed,
// not copied.
import CZlib
import Data
import Foundation
import XCTest

final class NumPyTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = NSTemporaryDirectory() + "numpy-\(UUID().uuidString)"; try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func npy(_ descr: String, _ shape: [Int], _ body: Data) -> Data {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var h = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)), }"
        while (10 + h.utf8.count + 1) % 64 != 0 { h += " " }
        h += "\n"
        var d = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(h.utf8.count), 0])   // \x93NUMPY v1.0, header length
        d.append(Data(h.utf8))
        d.append(body)
        return d
    }

    func le<T: FixedWidthInteger>(_ v: T) -> Data { withUnsafeBytes(of: v.littleEndian) { Data($0) } }

    /// A zip of `members`, each stored (method 0) or raw-deflated (8), sizes in a zip64 extra field.
    func zip(_ members: [(String, Data)], deflate: Bool) -> Data {
        var out = Data(), central = Data()
        for (name, body) in members {
            var payload = body
            if deflate {
                var s = z_stream()
                deflateInit2_(&s, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
                var buf = [UInt8](repeating: 0, count: body.count + 1024)
                body.withUnsafeBytes { src in
                    s.next_in = UnsafeMutablePointer(mutating: src.bindMemory(to: UInt8.self).baseAddress)
                    s.avail_in = UInt32(body.count)
                    buf.withUnsafeMutableBufferPointer { dst in s.next_out = dst.baseAddress; s.avail_out = UInt32(dst.count); _ = CZlib.deflate(&s, Z_FINISH) }
                }
                payload = Data(buf[0 ..< Int(s.total_out)]); deflateEnd(&s)
            }
            let offset = out.count, n = Data(name.utf8), method = UInt16(deflate ? 8 : 0)
            var extra = le(UInt16(1)); extra += le(UInt16(16)); extra += le(UInt64(body.count)); extra += le(UInt64(payload.count))
            // Local header: signature, version, flags, method, time, date, CRC (unchecked), sizes in zip64.
            let local: [Data] = [le(UInt32(0x0403_4B50)), le(UInt16(45)), le(UInt16(0)), le(method), le(UInt32(0)), le(UInt32(0)),
                                 le(UInt32(0xFFFF_FFFF)), le(UInt32(0xFFFF_FFFF)), le(UInt16(n.count)), le(UInt16(extra.count)), n, extra, payload]
            for part in local { out.append(part) }
            let entry: [Data] = [le(UInt32(0x0201_4B50)), le(UInt16(45)), le(UInt16(45)), le(UInt16(0)), le(method), le(UInt32(0)),
                                 le(UInt32(0)), le(UInt32(0xFFFF_FFFF)), le(UInt32(0xFFFF_FFFF)), le(UInt16(n.count)), le(UInt16(extra.count)),
                                 le(UInt16(0)), le(UInt16(0)), le(UInt16(0)), le(UInt32(0)), le(UInt32(offset)), n, extra]
            for part in entry { central.append(part) }
        }
        let cd = out.count
        let end: [Data] = [central, le(UInt32(0x0605_4B50)), le(UInt16(0)), le(UInt16(0)), le(UInt16(members.count)),
                           le(UInt16(members.count)), le(UInt32(central.count)), le(UInt32(cd)), le(UInt16(0))]
        for part in end { out.append(part) }
        return out
    }

    func testDTypesAndNPZStoredAndDeflated() throws {
        let floats: [Float] = (0..<15).map { Float($0) * 0.37 - 2 }
        let x = npy("<f4", [5, 3], floats.withUnsafeBufferPointer { Data(buffer: $0) })
        let y = npy("<i8", [5], Data([3, 0, 9, 1, 2].flatMap { (v: Int64) in Array(le(v)) }))
        try x.write(to: URL(fileURLWithPath: dir + "/x.npy"))
        try y.write(to: URL(fileURLWithPath: dir + "/y.npy"))
        let a = try NumPyData.dataset(inputs: dir + "/x.npy", labels: dir + "/y.npy")
        XCTAssertEqual(a.images.array, floats)
        XCTAssertEqual(a.labels, [3, 0, 9, 1, 2])
        XCTAssertEqual(a.images.shape, [5, 3])
        for deflate in [false, true] {
            let path = dir + "/d\(deflate).npz"
            try zip([("x.npy", x), ("y.npy", y)], deflate: deflate).write(to: URL(fileURLWithPath: path))
            let b = try NumPyData.dataset(inputs: path + ":x", labels: path + ":y")
            XCTAssertEqual(b.images.array, floats, "deflate \(deflate)")
            XCTAssertEqual(b.labels, a.labels, "deflate \(deflate)")
            XCTAssertThrowsError(try NumPyData.array(path)) { XCTAssertTrue("\($0)".contains("holds 2 arrays (x, y); name one as"), "\($0)") }
            XCTAssertThrowsError(try NumPyData.array(path + ":z")) { XCTAssertTrue("\($0)".contains("has no array 'z' (it holds x, y)"), "\($0)") }
        }
        // uint8 images are scaled by 1/255, as the IDX loader scales them.
        try npy("|u1", [2, 2, 2], Data([0, 255, 51, 7, 1, 2, 3, 4])).write(to: URL(fileURLWithPath: dir + "/u.npy"))
        try npy("|u1", [2], Data([1, 0])).write(to: URL(fileURLWithPath: dir + "/l.npy"))
        let u = try NumPyData.dataset(inputs: dir + "/u.npy", labels: dir + "/l.npy")
        XCTAssertEqual(u.images.shape, [2, 1, 2, 2])
        XCTAssertEqual(u.images[1], Float(255) * (1.0 / 255.0))
        XCTAssertEqual(u.images[2], Float(51) * (1.0 / 255.0))
    }
}
