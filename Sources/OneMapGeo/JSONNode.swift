/// A small JSON reader over bytes, for GeoJSON: no Foundation bridging (through JSONSerialization
/// that costs more than half of an import), numbers keep whether they were written as integers.
public enum JSONNode: Sendable {
    case object([(String, JSONNode)])
    case array([JSONNode])
    case number(Double, isInteger: Bool)
    case string(String)
    case bool(Bool)
    case null

    public subscript(key: String) -> JSONNode? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var array: [JSONNode]? { if case .array(let a) = self { a } else { nil } }
}

public struct FastJSONError: Error, CustomStringConvertible {
    public let description: String
}

public struct FastJSONParser {
    let b: UnsafeRawBufferPointer
    var i: Int
    /// Arrays and objects open; bounded so a hostile file cannot exhaust the stack (GeoJSON needs 5).
    var depth = 0
    static let maxDepth = 256
    /// Where `b` starts in the file, for messages (a streamed file is parsed a window at a time).
    var origin = 0

    init(_ bytes: UnsafeRawBufferPointer, at start: Int = 0) { b = bytes; i = start }

    /// Parses a document holding exactly one value.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws -> JSONNode {
        var p = FastJSONParser(bytes)
        let v = try p.value()
        p.skip()
        guard p.i == bytes.count else { throw FastJSONError(description: "unexpected data after the JSON value at byte \(p.i)") }
        return v
    }

    mutating func skip() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    /// Reads a member name and its colon, leaving the parser at the member's value.
    mutating func memberName() throws -> String {
        skip()
        guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
        let k = try string()
        skip()
        guard i < b.count, b[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
        i += 1
        return k
    }

    /// After an object member or array item: true at ',' (another follows), false at `close`
    /// (`}` or `]`, consumed).
    mutating func another(before close: UInt8) throws -> Bool {
        skip()
        let what = close == UInt8(ascii: "}") ? "object" : "array"
        guard i < b.count else { throw fail("unterminated \(what)") }
        if b[i] == UInt8(ascii: ",") { i += 1; return true }
        if b[i] == close { i += 1; return false }
        throw fail(close == UInt8(ascii: "}") ? "expected ',' or '}'" : "expected ',' or ']'")
    }

    func fail(_ what: String) -> FastJSONError { FastJSONError(description: "malformed JSON at byte \(origin + i): \(what)") }

    mutating func value() throws -> JSONNode {
        skip()
        guard i < b.count else { throw fail("unexpected end") }
        switch b[i] {
        case UInt8(ascii: "{"):
            try enter()
            defer { depth -= 1 }
            i += 1
            var members: [(String, JSONNode)] = []
            skip()
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            while true {
                let k = try memberName()
                members.append((k, try value()))
                if try another(before: UInt8(ascii: "}")) { continue }
                return .object(members)
            }
        case UInt8(ascii: "["):
            try enter()
            defer { depth -= 1 }
            i += 1
            var items: [JSONNode] = []
            skip()
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                items.append(try value())
                if try another(before: UInt8(ascii: "]")) { continue }
                return .array(items)
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return try number()
        }
    }

    private mutating func enter() throws {
        depth += 1
        guard depth <= Self.maxDepth else { throw fail("arrays and objects nest deeper than \(Self.maxDepth) levels") }
    }

    private mutating func literal(_ word: String) throws {
        let w = Array(word.utf8)
        guard i + w.count <= b.count else { throw fail("unexpected end") }
        for k in 0..<w.count where b[i + k] != w[k] { throw fail("unknown literal") }
        i += w.count
    }

    private mutating func number() throws -> JSONNode {
        let (d, integer) = try numberValue()
        return .number(d, isInteger: integer)
    }

    /// Powers of ten exactly representable as Double (10^0 ... 10^22).
    private static let exactPowers: [Double] = (0...22).map { e in (0..<e).reduce(1.0) { r, _ in r * 10 } }

    /// A JSON number. Decimal numbers of at most 15 significant digits and small exponents (almost
    /// all coordinates) are converted exactly without strtod: digits as an integer, then one exact
    /// multiplication or division by a power of ten (Clinger's fast path, correctly rounded).
    mutating func numberValue() throws -> (Double, isInteger: Bool) {
        let start = i
        var negative = false
        if i < b.count, b[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        var mantissa: UInt64 = 0, digits = 0, scale = 0
        var integer = true
        while i < b.count, b[i] &- 0x30 < 10 {
            if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(b[i] &- 0x30) } else { scale += 1 }
            if mantissa != 0 { digits += 1 }
            i += 1
        }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            integer = false
            i += 1
            while i < b.count, b[i] &- 0x30 < 10 {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(b[i] &- 0x30); scale -= 1 }
                if mantissa != 0 { digits += 1 }
                i += 1
            }
        }
        var exponentWritten = false
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            integer = false
            exponentWritten = true
            i += 1
            while i < b.count, b[i] &- 0x30 < 10 || b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") { i += 1 }
        }
        guard i > start + (negative ? 1 : 0) else { throw fail("unexpected character") }
        if !exponentWritten && digits <= 15 && scale >= -22 && scale <= 22 && i - start < 40 {
            let m = Double(mantissa)
            let v = scale >= 0 ? m * Self.exactPowers[scale] : m / Self.exactPowers[-scale]
            return (negative ? -v : v, integer)
        }
        // Anything else: strtod from a small terminated stack buffer.
        let len = i - start
        guard len < 64 else { throw fail("number too long") }
        let d: Double? = withUnsafeTemporaryAllocation(of: CChar.self, capacity: len + 1) { buf in
            for k in 0..<len { buf[k] = CChar(bitPattern: b[start + k]) }
            buf[len] = 0
            var end: UnsafeMutablePointer<CChar>?
            let v = strtod(buf.baseAddress!, &end)
            return end == buf.baseAddress! + len ? v : nil
        }
        guard let d, d.isFinite else { throw fail("bad number") }
        return (d, integer)
    }

    mutating func string() throws -> String {
        i += 1  // opening quote
        let start = i
        var simple = true
        while i < b.count, b[i] != UInt8(ascii: "\"") {
            if b[i] == UInt8(ascii: "\\") { simple = false; i += 2 } else { i += 1 }
        }
        guard i < b.count else { throw fail("unterminated string") }
        let raw = UnsafeRawBufferPointer(rebasing: b[start..<i])
        i += 1
        if simple { return String(decoding: raw, as: UTF8.self) }
        return try unescape(raw)
    }

    private func unescape(_ raw: UnsafeRawBufferPointer) throws -> String {
        var out = [UInt8]()
        out.reserveCapacity(raw.count)
        var k = 0
        var pendingHigh: UInt32?
        func append(_ scalar: UInt32) {
            if let u = Unicode.Scalar(scalar) { out.append(contentsOf: Array(String(Character(u)).utf8)) }
        }
        while k < raw.count {
            let c = raw[k]
            guard c == UInt8(ascii: "\\") else { out.append(c); k += 1; continue }
            guard k + 1 < raw.count else { throw fail("bad escape") }
            let e = raw[k + 1]
            k += 2
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                guard k + 4 <= raw.count, let v = UInt32(String(decoding: UnsafeRawBufferPointer(rebasing: raw[k..<k + 4]), as: UTF8.self), radix: 16) else {
                    throw fail("bad \\u escape")
                }
                k += 4
                if (0xD800...0xDBFF).contains(v) { pendingHigh = v; continue }
                if (0xDC00...0xDFFF).contains(v), let h = pendingHigh {
                    append(0x10000 + ((h - 0xD800) << 10) + (v - 0xDC00)); pendingHigh = nil; continue
                }
                append(v)
            default: out.append(e)  // \" \\ \/
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension FastJSONParser {
    public static func parse(_ text: String) throws -> JSONNode {
        var t = text
        return try t.withUTF8 { try parse(UnsafeRawBufferPointer($0)) }
    }
}
