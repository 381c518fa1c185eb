import CZlib
import Foundation
import OneMapTiles

/// A ZIP archive (PKWARE APPNOTE 6.3, no ZIP64), written in memory: the container of an OOXML
/// workbook. Entries are deflated (raw DEFLATE, method 8) with their CRC-32.
struct ZipWriter {
    private var bytes: [UInt8] = []
    private var central: [UInt8] = []
    private var count = 0
    /// MS-DOS date and time of every entry (the archive's moment, in local time as ZIP expects).
    private let dosTime: UInt16, dosDate: UInt16

    init(date: Date = Date()) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        dosTime = UInt16((c.hour ?? 0) << 11 | (c.minute ?? 0) << 5 | (c.second ?? 0) / 2)
        dosDate = UInt16(max(0, (c.year ?? 1980) - 1980) << 9 | (c.month ?? 1) << 5 | (c.day ?? 1))
    }

    enum ZipError: Error, CustomStringConvertible {
        case tooLarge(String)
        case deflate(String)
        var description: String {
            switch self {
            case .tooLarge(let n): "zip entry \(n) is over 4 GB (ZIP64 is not written)"
            case .deflate(let n): "zlib could not deflate \(n)"
            }
        }
    }

    mutating func add(_ name: String, _ content: [UInt8]) throws {
        guard content.count < Int(UInt32.max), bytes.count < Int(UInt32.max) else { throw ZipError.tooLarge(name) }
        let crc = content.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
        // Raw DEFLATE: no zlib header, as ZIP stores it.
        guard let packed = Gzip.deflate(content, windowBits: -15) else { throw ZipError.deflate(name) }
        let nameBytes = Array(name.utf8)
        let offset = UInt32(bytes.count)
        // Local file header.
        put32(&bytes, 0x0403_4b50); put16(&bytes, 20); put16(&bytes, 0x0800)  // version 2.0, UTF-8 names
        put16(&bytes, 8); put16(&bytes, dosTime); put16(&bytes, dosDate)
        put32(&bytes, crc); put32(&bytes, UInt32(packed.count)); put32(&bytes, UInt32(content.count))
        put16(&bytes, UInt16(nameBytes.count)); put16(&bytes, 0)
        bytes += nameBytes
        bytes += packed
        // Its central directory record.
        put32(&central, 0x0201_4b50); put16(&central, 20); put16(&central, 20); put16(&central, 0x0800)
        put16(&central, 8); put16(&central, dosTime); put16(&central, dosDate)
        put32(&central, crc); put32(&central, UInt32(packed.count)); put32(&central, UInt32(content.count))
        put16(&central, UInt16(nameBytes.count)); put16(&central, 0); put16(&central, 0)
        put16(&central, 0); put16(&central, 0); put32(&central, 0); put32(&central, offset)
        central += nameBytes
        count += 1
    }

    /// The archive: entries, central directory, end record.
    func finish() -> [UInt8] {
        var out = bytes
        let start = UInt32(out.count)
        out += central
        put32(&out, 0x0605_4b50); put16(&out, 0); put16(&out, 0)
        put16(&out, UInt16(count)); put16(&out, UInt16(count))
        put32(&out, UInt32(central.count)); put32(&out, start); put16(&out, 0)
        return out
    }

    private func put16(_ b: inout [UInt8], _ v: UInt16) { b.append(UInt8(v & 0xff)); b.append(UInt8(v >> 8)) }
    private func put32(_ b: inout [UInt8], _ v: UInt32) { for s in stride(from: 0, to: 32, by: 8) { b.append(UInt8((v >> UInt32(s)) & 0xff)) } }
}
