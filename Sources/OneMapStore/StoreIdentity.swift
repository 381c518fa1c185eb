import Foundation

/// Which database a store is, as a value: derived copies kept outside it (the disk tile cache)
/// record it and start empty when they find another. A SpatiaLite store is its file's absolute,
/// standardised path; another backend names its server and database the same way.
public struct StoreIdentity: Hashable, Sendable, CustomStringConvertible {
    public let value: String
    public init(_ value: String) { self.value = value }
    public var description: String { value }

    /// The identity of the SpatiaLite file at `path` (relative paths resolved against the
    /// working directory, so `data/x.sqlite` and `./data/x.sqlite` are one store).
    public static func spatialite(path: String) -> StoreIdentity {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return StoreIdentity("spatialite:" + (absolute as NSString).standardizingPath)
    }
}
