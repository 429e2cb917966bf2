// SafeTensors: a file round-trips through loading into a model (what train.init_from does) and
// writing from it (what `cohort export --format safetensors` does) byte for byte; each bad header,
// overlap, missing or mis-shaped tensor is one error naming it.
import Checkpoint
import Foundation
import NN
import XCTest

final class SafeTensorsTests: XCTestCase {
    func mlp(seed: UInt64) -> Sequential {
        let m = Models.mlp(input: 784, hidden: [17, 5], classes: 10)   // odd sizes on purpose
        m.initialize(seed: seed)
        return m
    }

    func exported(_ m: Sequential, metadata: [String: String] = ["cohort_spec": "name: \"x\"\nmodel: {kind: mlp}\n"]) -> Data {
        UnsafeBufferPointer(start: m.store.params.pointer, count: m.parameterCount).withMemoryRebound(to: Float.self) {
            SafeTensors(layout: m.store.layout.entries, params: $0, metadata: metadata).encoded()
        }
    }

    func testRoundTripThroughInitFromAndExportIsByteForByte() throws {
        let file = exported(mlp(seed: 1))
        XCTAssertEqual(file.count % 4, 0)
        let n = Int(file.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        XCTAssertEqual((8 + n) % 8, 0, "data starts 8-byte aligned")
        let target = mlp(seed: 2)
        let read = try SafeTensors.decode(file, path: "a.safetensors")
        try read.load(into: target.store)
        XCTAssertEqual(exported(target, metadata: read.metadata), file)
        XCTAssertEqual(read.tensors.map(\.name), ["1.weight", "1.bias", "2.weight", "2.bias", "3.weight", "3.bias"])
        XCTAssertEqual(read.tensors[0].shape, [17, 784], "Linear weights are [out, in]")
    }

    func assertRefused(_ data: Data, into m: Sequential? = nil, _ expected: String, line: UInt = #line) {
        do {
            let s = try SafeTensors.decode(data, path: "f.safetensors")
            try s.load(into: (m ?? mlp(seed: 3)).store)
            XCTFail("accepted; expected: \(expected)", line: line)
        } catch {
            XCTAssertEqual("\(error)", "safetensors file f.safetensors: " + expected, line: line)
        }
    }

    /// A file with `header` as its JSON and `dataBytes` zero bytes of data.
    func raw(_ header: String, dataBytes: Int) -> Data {
        var d = Data(); withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { d.append(contentsOf: $0) }
        d.append(Data(header.utf8)); d.append(Data(count: dataBytes))
        return d
    }

    func testBadFilesAreOneErrorEach() {
        var long = Data(); withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { long.append(contentsOf: $0) }
        assertRefused(long + Data(count: 16), "header length 1099511627776 runs past the end of the 24-byte file (not a safetensors file?)")
        assertRefused(raw("{not json", dataBytes: 0), "header is not a JSON object")
        assertRefused(raw(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, dataBytes: 12),
                      "tensors 'a' (bytes 0..<8) and 'b' (bytes 4..<12) overlap")
        assertRefused(raw(#"{"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}"#, dataBytes: 4), "tensor 'a' has dtype BF16; Cohort reads F32 only")
        assertRefused(raw(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, dataBytes: 8),
                      "tensor 'a' has 8 bytes at data_offsets [0, 8]; shape [3] of F32 needs 12")
        // Missing, mis-shaped and extra tensors, against the model's layout.
        let m = mlp(seed: 4)
        var s = try! SafeTensors.decode(exported(m), path: "f.safetensors")
        let full = s
        s.tensors.removeAll { $0.name == "2.bias" }
        assertRefused(s.encoded(), "has no tensor '2.bias' (shape [5]), which the model needs")
        s = full; s.tensors[0].shape = [784, 17]
        assertRefused(s.encoded(), "tensor '1.weight' has shape [784, 17]; the model's is [17, 784]")
        s = full; s.tensors.append(.init(name: "4.weight", shape: [1], values: [0]))
        assertRefused(s.encoded(), "holds tensor '4.weight', which the model does not have (it has 6 tensors: 1.weight, 1.bias, 2.weight, 2.bias, …)")
    }
}
