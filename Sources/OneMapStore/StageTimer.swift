import Foundation

/// Prints how long each stage of a bulk operation took to stderr when `ONEMAP_TRACE=1`, so an
/// import's time can be split into reading, checking, writing and indexing without a profiler.
public enum StageTimer {
    private static let enabled = ProcessInfo.processInfo.environment["ONEMAP_TRACE"] == "1"
    nonisolated(unsafe) private static var last = Date()

    /// Marks the end of `stage` (the time since the previous mark).
    public static func mark(_ stage: String) {
        guard enabled else { return }
        let now = Date()
        let name = stage.padding(toLength: 28, withPad: " ", startingAt: 0)
        FileHandle.standardError.write(Data("trace \(name) \(String(format: "%7.3f", now.timeIntervalSince(last))) s\n".utf8))
        last = now
    }
}
