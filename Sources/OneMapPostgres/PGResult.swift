import CLibPQ
import Foundation
import OneMapStore

/// A query's result in binary format; cleared in `deinit`. Values are read by the column's type
/// (integers of any width, floats, text, bytea, booleans), so a count (int8), a stored int4 and a
/// double all read as the caller asks.
final class PGResult {
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { PQclear(handle) }

    var rows: Int { Int(PQntuples(handle)) }

    func row(_ i: Int) -> PGRow { PGRow(result: self, row: Int32(i)) }

    /// Every row, in order.
    var all: [PGRow] { (0..<rows).map(row) }
}

/// One row of a `PGResult`.
struct PGRow: ColumnReader {
    let result: PGResult
    let row: Int32

    private var h: OpaquePointer { result.handle }

    func isNull(_ col: Int) -> Bool { PQgetisnull(h, row, Int32(col)) == 1 }

    /// The raw big-endian bytes of a value.
    private func raw(_ col: Int) -> UnsafeRawBufferPointer {
        let n = Int(PQgetlength(h, row, Int32(col)))
        guard let p = PQgetvalue(h, row, Int32(col)) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: p, count: n)
    }

    private func bigEndian<T: FixedWidthInteger>(_ col: Int, as: T.Type) -> T {
        var v: T = 0
        let r = raw(col)
        withUnsafeMutableBytes(of: &v) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: r.prefix(MemoryLayout<T>.size))) }
        return T(bigEndian: v)
    }

    /// An integer (int2, int4, int8, bool, or a float rounded toward zero); 0 for NULL.
    func int(_ col: Int) -> Int64 {
        if isNull(col) { return 0 }
        switch PQftype(h, Int32(col)) {
        case 20: return bigEndian(col, as: Int64.self)
        case 23: return Int64(bigEndian(col, as: Int32.self))
        case 21: return Int64(bigEndian(col, as: Int16.self))
        case 16: return raw(col).first == 1 ? 1 : 0
        case 700, 701: return Int64(double(col))
        default: return Int64(text(col) ?? "") ?? 0
        }
    }

    /// A number (float8, float4 or any integer); 0 for NULL.
    func double(_ col: Int) -> Double {
        if isNull(col) { return 0 }
        switch PQftype(h, Int32(col)) {
        case 701: return Double(bitPattern: bigEndian(col, as: UInt64.self))
        case 700: return Double(Float(bitPattern: bigEndian(col, as: UInt32.self)))
        case 20, 21, 23, 16: return Double(int(col))
        default: return Double(text(col) ?? "") ?? 0
        }
    }

    func bool(_ col: Int) -> Bool { int(col) != 0 }

    /// Text (text, varchar, name, char); nil for NULL.
    func text(_ col: Int) -> String? {
        if isNull(col) { return nil }
        return String(decoding: raw(col), as: UTF8.self)
    }

    /// The bytes of a bytea (or any value) without copying, during `body`; nil for NULL.
    func withBytes<R>(_ col: Int, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        try body(isNull(col) ? nil : raw(col))
    }

    func bytes(_ col: Int) -> [UInt8]? { isNull(col) ? nil : Array(raw(col)) }

    /// A text value's bytes, valid while the result lives (for sinks that read them at once); nil for NULL.
    func textBytes(_ col: Int) -> UnsafeRawBufferPointer? { isNull(col) ? nil : raw(col) }
}
