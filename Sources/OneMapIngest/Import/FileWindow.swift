import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file read a block at a time into a buffer that keeps only the bytes not yet done with, so
/// memory stays at about a block whatever the file's size.
final class FileWindow {
    private let fd: Int32
    private let path: String
    private let blockSize: Int
    /// The bytes held: the file from `origin` on.
    private(set) var buffer: [UInt8] = []
    private(set) var origin = 0
    /// Nothing follows `buffer` in the file.
    private(set) var atEnd = false

    /// Opens `path` and reads its first block.
    init(path: String, blockSize: Int) throws {
        self.path = path
        self.blockSize = blockSize
        fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ImportError("cannot read \(path): \(String(cString: strerror(errno)))") }
        try readBlock()
    }

    deinit { close(fd) }

    /// A whole (small) file.
    static func whole(_ path: String) throws -> [UInt8] {
        guard let d = FileManager.default.contents(atPath: path) else { throw ImportError("cannot read \(path)") }
        var bytes = [UInt8](d)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        return bytes
    }

    /// A UTF-8 byte order mark at the start is not part of the text.
    func skipByteOrderMark() throws {
        while origin == 0, buffer.count < 3, !atEnd { try readBlock() }
        if origin == 0, buffer.starts(with: [0xEF, 0xBB, 0xBF]) { buffer.removeFirst(3); origin = 3 }
    }

    /// Forgets the bytes before buffer index `k` and reads the next block.
    func advance(droppingBefore k: Int) throws {
        let done = min(k, buffer.count)
        buffer.removeFirst(done)
        origin += done
        if !atEnd { try readBlock() }
    }

    /// Whether anything but white space follows buffer index `k` in the file (reading on as needed).
    func hasMoreValues(after k: Int) throws -> Bool {
        var k = k
        while true {
            while k < buffer.count, [0x20, 0x0A, 0x0D, 0x09, 0x1E].contains(buffer[k]) { k += 1 }
            if k < buffer.count { return true }
            if atEnd { return false }
            try advance(droppingBefore: k)
            k = 0
        }
    }

    private func readBlock() throws {
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: blockSize))
        var filled = 0
        try buffer.withUnsafeMutableBytes { b in
            while filled < blockSize {
                let n = read(fd, b.baseAddress! + old + filled, blockSize - filled)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ImportError("cannot read \(path): \(String(cString: strerror(errno)))")
                }
                if n == 0 { atEnd = true; break }
                filled += n
            }
        }
        buffer.removeLast(blockSize - filled)
    }
}
