import Foundation

/// Where the server's files (styles, the viewer's MapLibre copy) are when `onemap serve` runs
/// from another folder: a relative path is taken from the working directory if it is there, else
/// from the folders above the executable (`REPO/.build/release/onemap` finds `REPO/.vendor`).
enum AssetLocator {
    static func resolve(_ path: String, fileManager: FileManager = .default) -> String {
        guard !path.hasPrefix("/"), !fileManager.fileExists(atPath: path) else { return path }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = dir.appendingPathComponent(path).path
            if fileManager.fileExists(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return path
    }
}
