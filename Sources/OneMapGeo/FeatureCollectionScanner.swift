/// Finds the features of a GeoJSON document that arrives a window at a time: the root object's
/// members up to `features` are parsed, then each feature's byte range is located (not parsed, so
/// the caller can parse a chunk on all cores) and the window can be dropped up to where the scan
/// stopped. A file of any size passes through a window of a few of its features.
///
/// The caller keeps the window (`bytes`, starting at file offset `origin`), calls `scan` from the
/// returned position, and on `.needInput` drops the bytes before that position and appends more.
public struct FeatureCollectionScanner {
    public enum Status: Equatable {
        /// `limit` ranges found: call again from the position.
        case limitReached
        /// The window ends inside a value: everything before the position is done with.
        case needInput
        /// The root object closed at the position without a `features` array (a single object,
        /// or the first line of newline-delimited GeoJSON): see `members`.
        case rootClosedWithoutFeatures
        /// The document ended properly.
        case finished
    }

    private enum Phase { case start, members, items, separator, trailer, end }
    private var phase = Phase.start
    /// The root object's members other than `features` (`type`, `crs`, `name`, ...).
    public private(set) var members: [(String, JSONNode)] = []
    /// Where the root object began and whether it was found to be a FeatureCollection's array.
    public private(set) var rootStart = 0
    public private(set) var sawFeatures = false

    public init() {}

    /// Scans `bytes` (file offset `origin`) from `position`. `atEnd`: nothing follows the window.
    /// Appends located features (ranges in `bytes`) until `limit` are in `ranges`.
    public mutating func scan(_ bytes: UnsafeRawBufferPointer, origin: Int, from position: Int, atEnd: Bool, limit: Int,
                              ranges: inout [Range<Int>]) throws -> (position: Int, status: Status) {
        var pos = position
        while true {
            var p = FastJSONParser(bytes, at: pos)
            p.origin = origin
            do {
                switch phase {
                case .start:
                    p.skip()
                    guard p.i < bytes.count else { throw FastJSONError(description: "no JSON value") }
                    guard bytes[p.i] == UInt8(ascii: "{") else { throw p.fail("expected an object") }
                    rootStart = origin + p.i
                    p.i += 1
                    p.skip()
                    guard p.i < bytes.count else { throw FastJSONError(description: "unexpected end") }
                    if bytes[p.i] == UInt8(ascii: "}") {
                        p.i += 1
                        phase = .end
                        return (p.i, .rootClosedWithoutFeatures)
                    }
                    phase = .members
                case .members:
                    // One member at a time: a window ending inside one re-reads only that member.
                    let k = try p.memberName()
                    p.skip()
                    if k == "features", p.i < bytes.count, bytes[p.i] == UInt8(ascii: "[") {
                        p.i += 1
                        p.skip()
                        guard p.i < bytes.count else { throw FastJSONError(description: "unexpected end") }
                        sawFeatures = true
                        if bytes[p.i] == UInt8(ascii: "]") { p.i += 1; phase = .trailer } else { phase = .items }
                    } else {
                        let v = try p.value()
                        let more = try p.another(before: UInt8(ascii: "}"))
                        members.append((k, v))
                        if !more {
                            phase = .end
                            return (p.i, .rootClosedWithoutFeatures)
                        }
                    }
                case .items:
                    if ranges.count >= limit { return (pos, .limitReached) }
                    p.skip()
                    let start = p.i
                    try p.skipValue()
                    ranges.append(start..<p.i)
                    phase = .separator
                case .separator:
                    phase = try p.another(before: UInt8(ascii: "]")) ? .items : .trailer
                case .trailer:
                    // Members after the features array (`bbox`, a late `type`).
                    if try p.another(before: UInt8(ascii: "}")) {
                        let k = try p.memberName()
                        members.append((k, try p.value()))
                    } else {
                        phase = .end
                    }
                case .end:
                    p.skip()
                    if p.i < bytes.count { throw p.fail("unexpected data after the JSON value") }
                    if !atEnd { return (p.i, .needInput) }
                    return (p.i, .finished)
                }
                pos = p.i
            } catch {
                // Ran off the window: the value resumes from where it began once more bytes came.
                if p.i >= bytes.count && !atEnd { return (pos, .needInput) }
                throw error
            }
        }
    }
}
