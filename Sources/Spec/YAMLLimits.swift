// Implements: YAMLLimits, the bounds a job spec's YAML text must keep before anything builds a
// tree from it: its size, how deep collections nest, how many aliases it uses and how many nodes
// it would have with every alias expanded. libyaml's event parser checks them without recursion
// and without expanding aliases, so a few hundred bytes of nested aliases ("billion laughs") or
// thousands of nested brackets are refused in microseconds instead of exhausting time, memory or
// the stack of the recursive composer that runs afterwards.
@_implementationOnly import CYaml
import Foundation

public enum YAMLLimits {
    /// Most bytes of spec text.
    public static let maxBytes = 256 * 1024
    /// Deepest nesting of mappings and sequences (a job spec nests 3).
    public static let maxDepth = 32
    /// Most aliases (`*name`) in one spec.
    public static let maxAliases = 64
    /// Most nodes the document has when every alias is counted as the nodes it stands for.
    public static let maxExpandedNodes = 20_000

    /// - Throws: `SpecError` naming the limit, the value and where libyaml was.
    public static func check(_ text: String, source: String) throws(SpecError) {
        let bytes = Array(text.utf8)
        guard bytes.count <= maxBytes else {
            throw SpecError(source: source, message: "the spec is \(bytes.count) bytes, more than the limit of \(maxBytes)")
        }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw SpecError(source: source, message: "cannot start the YAML parser") }
        defer { yaml_parser_delete(&parser) }
        try bytes.withUnsafeBufferPointer { buf throws(SpecError) in
            yaml_parser_set_input_string(&parser, buf.baseAddress, buf.count)
            var open: [(anchor: String?, nodes: Int)] = [(nil, 0)]  // the stream's root counter first
            var anchored: [String: Int] = [:]
            var aliases = 0
            func fail(_ m: String, _ e: yaml_event_t) -> SpecError {
                SpecError(source: source, message: "\(m) (line \(e.start_mark.line + 1))")
            }
            while true {
                var e = yaml_event_t()
                guard yaml_parser_parse(&parser, &e) == 1 else {
                    let problem = parser.problem.map { String(cString: $0) } ?? "parse error"
                    throw SpecError(source: source, message: "not valid YAML: \(problem) (line \(parser.problem_mark.line + 1))")
                }
                defer { yaml_event_delete(&e) }
                func name(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? { p.map { String(cString: $0) } }
                switch e.type {
                case YAML_STREAM_END_EVENT: return
                case YAML_SCALAR_EVENT:
                    open[open.count - 1].nodes += 1
                    if let a = name(e.data.scalar.anchor) { anchored[a] = 1 }
                case YAML_ALIAS_EVENT:
                    aliases += 1
                    guard aliases <= maxAliases else { throw fail("more than \(maxAliases) aliases", e) }
                    open[open.count - 1].nodes += anchored[name(e.data.alias.anchor) ?? ""] ?? 1
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    let a = e.type == YAML_SEQUENCE_START_EVENT ? name(e.data.sequence_start.anchor) : name(e.data.mapping_start.anchor)
                    open.append((a, 1))
                    guard open.count - 1 <= maxDepth else { throw fail("collections nest deeper than \(maxDepth) levels", e) }
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    let done = open.removeLast()
                    if let a = done.anchor { anchored[a] = done.nodes }
                    open[open.count - 1].nodes += done.nodes
                default: break
                }
                if open.reduce(0, { $0 + $1.nodes }) > maxExpandedNodes {
                    throw fail("more than \(maxExpandedNodes) nodes with its aliases expanded", e)
                }
            }
        }
    }
}
