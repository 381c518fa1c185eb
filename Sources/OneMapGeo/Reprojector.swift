import CPROJ
import Foundation

/// Errors from coordinate transformation.
public enum ProjectionError: Error, CustomStringConvertible {
    case unsupportedCRS(String)
    case proj(String)

    public var description: String {
        switch self {
        case .unsupportedCRS(let c): "unsupported CRS \(c); supported: \(CRS.supported.map(\.description).joined(separator: ", "))"
        case .proj(let m): "PROJ: \(m)"
        }
    }
}

/// Transformations built once per process and cloned into each worker's PROJ context.
///
/// `proj_create_crs_to_crs` reads proj.db (~60 ms); `proj_clone` of a built one costs ~0.06 ms.
private final class TransformationPrototypes: @unchecked Sendable {
    static let shared = TransformationPrototypes()
    private let lock = NSLock()
    private var protos: [Int: OpaquePointer] = [:]  // guarded by lock
    private let context: OpaquePointer? = proj_context_create()

    /// Clones the prototype for `from -> to` into `ctx`, building it first if needed.
    func clone(from: Int, to: Int, into ctx: OpaquePointer?) throws -> OpaquePointer {
        try lock.withLock {
            let key = from << 20 | to
            if protos[key] == nil {
                // Returns NULL when PROJ cannot build the operation.
                guard let raw = proj_create_crs_to_crs(context, "EPSG:\(from)", "EPSG:\(to)", nil) else {
                    throw ProjectionError.proj("no transformation EPSG:\(from) -> EPSG:\(to)")
                }
                // Authority axis order of 4490/4326 is lat,lon and of 4548 N,E: normalise to x=lon/E, y=lat/N.
                let norm = proj_normalize_for_visualization(context, raw)
                proj_destroy(raw)
                guard let norm else { throw ProjectionError.proj("cannot normalise axis order EPSG:\(from) -> EPSG:\(to)") }
                protos[key] = norm
            }
            guard let c = proj_clone(ctx, protos[key]) else { throw ProjectionError.proj("proj_clone failed") }
            return c
        }
    }
}

/// Reprojects coordinates between the registry's CRSs. One instance per thread (owns a PROJ context).
public final class Reprojector {
    private let context: OpaquePointer?
    private var operations: [Int: OpaquePointer] = [:]

    public init() { context = proj_context_create() }

    deinit {
        for op in operations.values { proj_destroy(op) }
        proj_context_destroy(context)
    }

    private func operation(_ from: CRS, _ to: CRS) throws -> OpaquePointer {
        let key = from.epsg << 20 | to.epsg
        if let op = operations[key] { return op }
        let op = try TransformationPrototypes.shared.clone(from: from.epsg, to: to.epsg, into: context)
        operations[key] = op
        return op
    }

    /// Transforms positions in place (x = lon/easting, y = lat/northing on both sides).
    public func transform(_ positions: inout [Position], from: CRS, to: CRS) throws {
        guard !from.sameCoordinates(as: to), !positions.isEmpty else { return }
        let op = try operation(from, to)
        let n = positions.count
        let stride = MemoryLayout<Position>.stride
        try positions.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress!.assumingMemoryBound(to: Double.self)
            // proj_trans_generic returns the number of transformed points.
            let done = proj_trans_generic(op, PJ_FWD, base, stride, n, base + 1, stride, n, nil, 0, 0, nil, 0, 0)
            if done != n { throw ProjectionError.proj("transformed \(done) of \(n) points") }
        }
        for p in positions where !p.x.isFinite || !p.y.isFinite {
            throw ProjectionError.proj("coordinates outside the valid area of \(to) (from \(from))")
        }
    }

    public func transform(_ p: Position, from: CRS, to: CRS) throws -> Position {
        var ps = [p]
        try transform(&ps, from: from, to: to)
        return ps[0]
    }

    /// Transforms every position of a geometry.
    public func transform(_ g: Geometry, from: CRS, to: CRS) throws -> Geometry {
        guard !from.sameCoordinates(as: to) else { return g }
        switch g {
        case .point(let p): return .point(try transform(p, from: from, to: to))
        case .multiPoint(var ps): try transform(&ps, from: from, to: to); return .multiPoint(ps)
        case .lineString(var ps): try transform(&ps, from: from, to: to); return .lineString(ps)
        case .multiLineString(let ls):
            return .multiLineString(try ls.map { var l = $0; try transform(&l, from: from, to: to); return l })
        case .polygon(let rings):
            return .polygon(try rings.map { var r = $0; try transform(&r, from: from, to: to); return r })
        case .multiPolygon(let polys):
            return .multiPolygon(try polys.map { try $0.map { var r = $0; try transform(&r, from: from, to: to); return r } })
        case .geometryCollection(let gs):
            return .geometryCollection(try gs.map { try transform($0, from: from, to: to) })
        }
    }
}
