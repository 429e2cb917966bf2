// Implements: SafeTensors, the safetensors file format (Hugging Face's), written from and read
// into a ParameterStore: float32 tensors only, in the model's layout order, named as the layout
// names them ("1.weight", Linear weights (out, in) as PyTorch's nn.Linear holds them).
// Layout: N (UInt64 LE, the header's length in bytes), then N bytes of JSON —
//   {"__metadata__": {str: str}, NAME: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, …}
// padded with spaces to a multiple of 8 — then the data: each tensor's little-endian elements at
// bytes begin..<end counted from the first byte after the header. docs/checkpoint-format.md.
import Foundation
import NN

/// A safetensors file refused, naming the file and what is wrong.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable {
    /// The file, and what is wrong with it.
    public let path: String, reason: String
    /// "safetensors file PATH: REASON".
    public var description: String { "safetensors file \(path): \(reason)" }
    /// An error about `path`.
    public init(_ path: String, _ reason: String) { self.path = path; self.reason = reason }
}

/// The float32 tensors of a safetensors file, in data order, with its metadata.
public struct SafeTensors {
    /// One tensor: its name, shape and elements.
    public struct Tensor: Equatable {
        /// The tensor's name, its shape, and its elements in C order.
        public var name: String, shape: [Int], values: [Float]
        /// A tensor; `values.count` should be the product of `shape`.
        public init(name: String, shape: [Int], values: [Float]) { self.name = name; self.shape = shape; self.values = values }
    }
    /// The tensors, in data order.
    public var tensors: [Tensor]
    /// String keys and values (`__metadata__`): Cohort writes the job spec and the step.
    public var metadata: [String: String]
    /// Where it was read from ("" for one made in memory), for errors.
    public var path = ""

    /// A file in memory of `tensors` and `metadata`.
    public init(tensors: [Tensor], metadata: [String: String]) { self.tensors = tensors; self.metadata = metadata }

    /// The tensors of the flat parameters `params` laid out by `layout`.
    public init(layout: [ParameterLayout.Entry], params: UnsafeBufferPointer<Float>, metadata: [String: String]) {
        tensors = layout.map { Tensor(name: $0.name, shape: $0.shape, values: Array(params[$0.range])) }
        self.metadata = metadata
    }

    /// The file's bytes: header in tensor order with offsets packed from 0, then the data.
    public func encoded() -> Data {
        func quote(_ s: String) -> String {
            let d = try! JSONSerialization.data(withJSONObject: [s])   // ["…"], escaped by Foundation
            return String(decoding: d.dropFirst().dropLast(), as: UTF8.self)
        }
        var parts: [String] = []
        if !metadata.isEmpty {
            parts.append("\"__metadata__\":{" + metadata.keys.sorted().map { quote($0) + ":" + quote(metadata[$0]!) }.joined(separator: ",") + "}")
        }
        var offset = 0
        for t in tensors {
            let bytes = t.values.count * 4
            parts.append(quote(t.name) + ":{\"dtype\":\"F32\",\"shape\":[" + t.shape.map(String.init).joined(separator: ",")
                         + "],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        var header = Array(("{" + parts.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var out = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for t in tensors { t.values.withUnsafeBufferPointer { out.append(Data(buffer: $0)) } }
        return out
    }

    /// Copies every tensor into `store`'s parameters, by name.
    /// - Throws: `SafeTensorsError` for a tensor the model lacks, a tensor of the model the file
    ///   lacks, or one whose shape differs (every name and shape is checked before anything is written).
    public func load(into store: ParameterStore) throws(SafeTensorsError) {
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let entries = store.layout.entries, names = Set(entries.map(\.name))
        for e in entries {
            guard let t = byName[e.name] else {
                throw SafeTensorsError(path, "has no tensor '\(e.name)' (shape \(e.shape)), which the model needs")
            }
            guard t.shape == e.shape else {
                throw SafeTensorsError(path, "tensor '\(e.name)' has shape \(t.shape); the model's is \(e.shape)")
            }
        }
        if let extra = tensors.first(where: { !names.contains($0.name) }) {
            throw SafeTensorsError(path, "holds tensor '\(extra.name)', which the model does not have (it has \(entries.count) tensors: "
                                   + entries.prefix(4).map(\.name).joined(separator: ", ") + (entries.count > 4 ? ", …)" : ")"))
        }
        for e in entries { byName[e.name]!.values.withUnsafeBufferPointer { (store.params.pointer + e.offset).update(from: $0.baseAddress!, count: e.count) } }
    }
}
