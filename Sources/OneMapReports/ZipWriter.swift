import CZlib
import Foundation

/// A ZIP archive (PKWARE APPNOTE 6.3, no ZIP64) written front to back into a sink: the container
/// of an OOXML workbook. Entries are deflated (raw DEFLATE, method 8) with their CRC-32. An entry
/// whose content is known is written with its sizes in its header; a streamed entry (a sheet of a
/// whole layer) is deflated as it comes and followed by a data descriptor (general purpose bit 3),
/// so the archive never has to be held whole or rewound.
final class ZipWriter {
    private let sink: ExportSink
    private var central: [UInt8] = []
    private var count = 0
    /// MS-DOS date and time of every entry (the archive's moment, in local time as ZIP expects).
    private let dosTime: UInt16, dosDate: UInt16
    private var open: (name: [UInt8], offset: Int, deflater: Deflater)?

    init(sink: ExportSink, date: Date = Date()) {
        self.sink = sink
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        dosTime = UInt16((c.hour ?? 0) << 11 | (c.minute ?? 0) << 5 | (c.second ?? 0) / 2)
        dosDate = UInt16(max(0, (c.year ?? 1980) - 1980) << 9 | (c.month ?? 1) << 5 | (c.day ?? 1))
    }

    enum ZipError: Error, CustomStringConvertible {
        case tooLarge(String)
        case deflate(String)
        case misuse(String)
        var description: String {
            switch self {
            case .tooLarge(let n): "zip entry \(n) is over 4 GB (ZIP64 is not written)"
            case .deflate(let n): "zlib could not deflate \(n)"
            case .misuse(let m): "zip: \(m)"
            }
        }
    }

    /// An entry whose whole content is at hand.
    func add(_ name: String, _ content: [UInt8]) throws {
        guard open == nil else { throw ZipError.misuse("\(name) added while an entry is open") }
        let d = try Deflater(name: name)
        var packed: [UInt8] = []
        try d.deflate(content) { packed += $0 }
        try d.finish { packed += $0 }
        let offset = sink.bytesWritten
        let nameBytes = Array(name.utf8)
        try checkSize(name, offset: offset, sizes: [packed.count, content.count])
        var header: [UInt8] = []
        localHeader(&header, name: nameBytes, flags: 0x0800, crc: d.crc, packed: packed.count, size: content.count)
        try sink.write(header)
        try sink.write(packed)
        centralRecord(name: nameBytes, flags: 0x0800, crc: d.crc, packed: packed.count, size: content.count, offset: offset)
    }

    /// Starts an entry whose content comes in pieces (`write`), closed by `end`.
    func begin(_ name: String) throws {
        guard open == nil else { throw ZipError.misuse("\(name) begun while an entry is open") }
        let nameBytes = Array(name.utf8)
        let offset = sink.bytesWritten
        var header: [UInt8] = []
        // Bit 3: CRC and sizes follow the data; bit 11: UTF-8 names.
        localHeader(&header, name: nameBytes, flags: 0x0808, crc: 0, packed: 0, size: 0)
        try sink.write(header)
        open = (nameBytes, offset, try Deflater(name: name))
    }

    func write(_ bytes: [UInt8]) throws {
        guard let o = open else { throw ZipError.misuse("write with no entry open") }
        try o.deflater.deflate(bytes) { try sink.write($0) }
    }

    func end() throws {
        guard let o = open else { throw ZipError.misuse("end with no entry open") }
        open = nil
        try o.deflater.finish { try sink.write($0) }
        let name = String(decoding: o.name, as: UTF8.self)
        try checkSize(name, offset: o.offset, sizes: [o.deflater.packed, o.deflater.size])
        var descriptor: [UInt8] = []
        put32(&descriptor, 0x0807_4b50); put32(&descriptor, o.deflater.crc)
        put32(&descriptor, UInt32(o.deflater.packed)); put32(&descriptor, UInt32(o.deflater.size))
        try sink.write(descriptor)
        centralRecord(name: o.name, flags: 0x0808, crc: o.deflater.crc, packed: o.deflater.packed, size: o.deflater.size, offset: o.offset)
    }

    /// The central directory and end record; the sink is flushed.
    func finish() throws {
        guard open == nil else { throw ZipError.misuse("finished with an entry open") }
        let start = sink.bytesWritten
        guard start + central.count < Int(UInt32.max) else { throw ZipError.tooLarge("archive") }
        var end = central
        put32(&end, 0x0605_4b50); put16(&end, 0); put16(&end, 0)
        put16(&end, UInt16(count)); put16(&end, UInt16(count))
        put32(&end, UInt32(central.count)); put32(&end, UInt32(start)); put16(&end, 0)
        try sink.write(end)
        try sink.flush()
    }

    private func checkSize(_ name: String, offset: Int, sizes: [Int]) throws {
        guard offset < Int(UInt32.max), sizes.allSatisfy({ $0 < Int(UInt32.max) }) else { throw ZipError.tooLarge(name) }
    }

    private func localHeader(_ b: inout [UInt8], name: [UInt8], flags: UInt16, crc: UInt32, packed: Int, size: Int) {
        put32(&b, 0x0403_4b50); put16(&b, 20); put16(&b, flags)  // version 2.0
        put16(&b, 8); put16(&b, dosTime); put16(&b, dosDate)
        put32(&b, crc); put32(&b, UInt32(packed)); put32(&b, UInt32(size))
        put16(&b, UInt16(name.count)); put16(&b, 0)
        b += name
    }

    private func centralRecord(name: [UInt8], flags: UInt16, crc: UInt32, packed: Int, size: Int, offset: Int) {
        put32(&central, 0x0201_4b50); put16(&central, 20); put16(&central, 20); put16(&central, flags)
        put16(&central, 8); put16(&central, dosTime); put16(&central, dosDate)
        put32(&central, crc); put32(&central, UInt32(packed)); put32(&central, UInt32(size))
        put16(&central, UInt16(name.count)); put16(&central, 0); put16(&central, 0)
        put16(&central, 0); put16(&central, 0); put32(&central, 0); put32(&central, UInt32(offset))
        central += name
        count += 1
    }

    private func put16(_ b: inout [UInt8], _ v: UInt16) { b.append(UInt8(v & 0xff)); b.append(UInt8(v >> 8)) }
    private func put32(_ b: inout [UInt8], _ v: UInt32) { for s in stride(from: 0, to: 32, by: 8) { b.append(UInt8((v >> UInt32(s)) & 0xff)) } }
}

/// Raw DEFLATE of one entry, fed in pieces, with its CRC-32 and sizes. The z_stream lives at a
/// fixed address (zlib keeps a pointer back to it) and is freed by this owner.
final class Deflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private let name: String
    private var output = [UInt8](repeating: 0, count: 64 << 10)
    private(set) var crc: UInt32 = 0
    private(set) var size = 0
    private(set) var packed = 0

    init(name: String, level: Int32 = 6) throws {
        self.name = name
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // windowBits -15: raw DEFLATE, no zlib header, as ZIP stores it.
        guard deflateInit2_(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            stream.deallocate()
            throw ZipWriter.ZipError.deflate(name)
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    func deflate(_ input: [UInt8], _ emit: ([UInt8]) throws -> Void) throws {
        guard !input.isEmpty else { return }
        crc = input.withUnsafeBufferPointer { UInt32(crc32(UInt(crc), $0.baseAddress, UInt32($0.count))) }
        size += input.count
        try input.withUnsafeBufferPointer { inBuf in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            stream.pointee.avail_in = UInt32(inBuf.count)
            try run(Z_NO_FLUSH, emit)
        }
    }

    func finish(_ emit: ([UInt8]) throws -> Void) throws {
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try run(Z_FINISH, emit)
    }

    private func run(_ flush: Int32, _ emit: ([UInt8]) throws -> Void) throws {
        while true {
            let (status, produced) = output.withUnsafeMutableBufferPointer { outBuf -> (Int32, Int) in
                stream.pointee.next_out = outBuf.baseAddress
                stream.pointee.avail_out = UInt32(outBuf.count)
                let s = CZlib.deflate(stream, flush)
                return (s, outBuf.count - Int(stream.pointee.avail_out))
            }
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else { throw ZipWriter.ZipError.deflate(name) }
            if produced > 0 {
                packed += produced
                try emit(Array(output[0..<produced]))
            }
            if flush == Z_FINISH {
                if status == Z_STREAM_END { return }
            } else if stream.pointee.avail_in == 0 && produced < output.count {
                return
            }
        }
    }
}
