/// Where a file being made goes, piece by piece: a response body, a file or memory. Small writes
/// are gathered into pieces of about `pieceSize` bytes, so the receiver sees few large pieces and
/// the writer never holds more than one piece.
public final class ExportSink {
    public typealias Deliver = ([UInt8]) throws -> Void
    private var buffer: [UInt8] = []
    private let pieceSize: Int
    private let deliver: Deliver
    /// Bytes written so far (delivered or gathered).
    public private(set) var bytesWritten = 0

    public init(pieceSize: Int = 64 << 10, deliver: @escaping Deliver) {
        self.pieceSize = pieceSize
        self.deliver = deliver
        buffer.reserveCapacity(min(pieceSize, 1 << 20) + 4096)
    }

    public func write(_ text: String) throws {
        var text = text
        text.withUTF8 { buffer.append(contentsOf: $0) }
        bytesWritten += text.utf8.count
        if buffer.count >= pieceSize { try flush() }
    }

    public func write(_ bytes: some Collection<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        bytesWritten += bytes.count
        if buffer.count >= pieceSize { try flush() }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        bytesWritten += bytes.count
        if buffer.count >= pieceSize { try flush() }
    }

    /// Delivers what is gathered.
    public func flush() throws {
        guard !buffer.isEmpty else { return }
        let piece = buffer
        buffer.removeAll(keepingCapacity: true)
        try deliver(piece)
    }

    /// A sink that keeps everything in memory (small files: statistics tables, reports).
    public static func memory() -> (sink: ExportSink, bytes: () throws -> [UInt8]) {
        final class Collected { var bytes: [UInt8] = [] }
        let collected = Collected()
        let sink = ExportSink(pieceSize: Int.max) { collected.bytes += $0 }
        return (sink, { try sink.flush(); return collected.bytes })
    }
}
