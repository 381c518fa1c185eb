import CGEOS
import Foundation

/// An error reported by GEOS, with its message.
public struct GEOSError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { "GEOS: \(message)" }
}

/// One GEOS context handle and the geometry operations OneMap needs.
///
/// GEOS's re-entrant API requires a context per thread and that every geometry goes back only to the
/// context that made it, so an engine is owned by one worker at a time (not `Sendable`). The engine
/// frees its handle in `deinit`; geometries it hands out keep it alive.
public final class GeometryEngine {
    let handle: GEOSContextHandle_t
    private let reader: OpaquePointer
    private let writer: OpaquePointer
    /// Last error message reported through the handler (GEOS calls it before returning NULL/0/2).
    fileprivate var lastError = ""

    public init() {
        handle = GEOS_init_r()
        reader = GEOSWKBReader_create_r(handle)
        writer = GEOSWKBWriter_create_r(handle)
        GEOSWKBWriter_setOutputDimension_r(handle, writer, 2)
        let me = Unmanaged.passUnretained(self).toOpaque()
        GEOSContext_setErrorMessageHandler_r(handle, { msg, user in
            guard let msg, let user else { return }
            Unmanaged<GeometryEngine>.fromOpaque(user).takeUnretainedValue().lastError = String(cString: msg)
        }, me)
        GEOSContext_setNoticeMessageHandler_r(handle, { _, _ in }, nil)
    }

    deinit {
        GEOSWKBReader_destroy_r(handle, reader)
        GEOSWKBWriter_destroy_r(handle, writer)
        GEOS_finish_r(handle)
    }

    private func fail(_ what: String) -> GEOSError {
        let m = lastError.isEmpty ? "\(what) failed" : "\(what): \(lastError)"
        lastError = ""
        return GEOSError(message: m)
    }

    // MARK: conversion

    /// Builds a GEOS geometry (owned by the returned wrapper) from a value.
    func make(_ g: Geometry) throws -> GEOSGeometryRef {
        let wkb = WKB.encode(g)
        // GEOSWKBReader_read_r returns NULL on error.
        guard let p = wkb.withUnsafeBufferPointer({ GEOSWKBReader_read_r(handle, reader, $0.baseAddress, $0.count) }) else {
            throw fail("reading geometry")
        }
        return GEOSGeometryRef(engine: self, pointer: p)
    }

    /// Converts a GEOS geometry back to a value; nil when it is empty.
    func value(_ p: OpaquePointer) throws -> Geometry? {
        if GEOSisEmpty_r(handle, p) == 1 { return nil }
        var size = 0
        // GEOSWKBWriter_write_r returns a buffer to free with GEOSFree_r, NULL on error.
        guard let buf = GEOSWKBWriter_write_r(handle, writer, p, &size) else { throw fail("writing geometry") }
        defer { GEOSFree_r(handle, buf) }
        return try WKB.decode(UnsafeRawBufferPointer(start: buf, count: size))
    }

    private func unary(_ g: Geometry, _ what: String, _ op: (OpaquePointer) -> OpaquePointer?) throws -> Geometry? {
        let src = try make(g)
        guard let out = op(src.pointer) else { throw fail(what) }
        defer { GEOSGeom_destroy_r(handle, out) }
        return try value(out)
    }

    // MARK: operations

    /// Clips to an axis-aligned rectangle (fast, not topology-checked). Nil when nothing is left.
    public func clip(_ g: Geometry, to r: BBox) throws -> Geometry? {
        try unary(g, "clip by rectangle") { GEOSClipByRect_r(handle, $0, r.minX, r.minY, r.maxX, r.maxY) }
    }

    /// Douglas-Peucker simplification; `preserveTopology` keeps rings valid at ~4x the cost.
    public func simplify(_ g: Geometry, tolerance: Double, preserveTopology: Bool = false) throws -> Geometry? {
        try unary(g, "simplify") {
            preserveTopology ? GEOSTopologyPreserveSimplify_r(handle, $0, tolerance) : GEOSSimplify_r(handle, $0, tolerance)
        }
    }

    /// Repairs an invalid geometry (GEOS MakeValid); valid input comes back unchanged in shape.
    public func makeValid(_ g: Geometry) throws -> Geometry? {
        try unary(g, "make valid") { GEOSMakeValid_r(handle, $0) }
    }

    /// Snap-rounds to a grid of `gridSize` (GEOS precision reduction with OverlayNG): every
    /// coordinate becomes a multiple of the grid size, parts that collapse are dropped, and a
    /// polygonal result is valid. Nil when nothing is left.
    public func snapToGrid(_ g: Geometry, gridSize: Double) throws -> Geometry? {
        try unary(g, "precision reduction") { GEOSGeom_setPrecision_r(handle, $0, gridSize, 0) }
    }

    /// Validity and, when invalid, GEOS's reason (e.g. "Self-intersection[117.6 26.2]").
    public func validity(_ g: Geometry) throws -> (isValid: Bool, reason: String?) {
        let src = try make(g)
        let v = GEOSisValid_r(handle, src.pointer)  // 1 valid, 0 invalid, 2 exception
        if v == 2 { throw fail("validity check") }
        if v == 1 { return (true, nil) }
        guard let r = GEOSisValidReason_r(handle, src.pointer) else { return (false, nil) }
        defer { GEOSFree_r(handle, r) }
        return (false, String(cString: r))
    }

    /// The area within `distance` (in the geometry's units) of it, round joins and caps.
    public func buffer(_ g: Geometry, distance: Double, quadrantSegments: Int32 = 16) throws -> Geometry? {
        try unary(g, "buffer") { GEOSBuffer_r(handle, $0, distance, quadrantSegments) }
    }

    public func intersection(_ a: Geometry, _ b: Geometry) throws -> Geometry? {
        let ga = try make(a), gb = try make(b)
        guard let out = GEOSIntersection_r(handle, ga.pointer, gb.pointer) else { throw fail("intersection") }
        defer { GEOSGeom_destroy_r(handle, out) }
        return try value(out)
    }

    public func difference(_ a: Geometry, _ b: Geometry) throws -> Geometry? {
        let ga = try make(a), gb = try make(b)
        guard let out = GEOSDifference_r(handle, ga.pointer, gb.pointer) else { throw fail("difference") }
        defer { GEOSGeom_destroy_r(handle, out) }
        return try value(out)
    }

    public func union(_ gs: [Geometry]) throws -> Geometry? {
        try unary(.geometryCollection(gs), "union") { GEOSUnaryUnion_r(handle, $0) }
    }

    public func area(_ g: Geometry) throws -> Double {
        let src = try make(g)
        var a = 0.0
        guard GEOSArea_r(handle, src.pointer, &a) == 1 else { throw fail("area") }
        return a
    }

    /// A point guaranteed to lie inside a polygonal geometry (for label placement).
    public func pointOnSurface(_ g: Geometry) throws -> Position? {
        guard case .point(let p)? = try unary(g, "point on surface", { GEOSPointOnSurface_r(handle, $0) }) else { return nil }
        return p
    }

    /// Voronoi cells of `sites`, clipped to nothing (caller intersects); cells come in GEOS's order,
    /// so callers match them back to sites by containment.
    public func voronoiCells(sites: [Position], envelope: BBox) throws -> [Geometry] {
        let src = try make(.multiPoint(sites))
        let env = try make(.polygon([[Position(envelope.minX, envelope.minY), Position(envelope.maxX, envelope.minY),
                                      Position(envelope.maxX, envelope.maxY), Position(envelope.minX, envelope.maxY),
                                      Position(envelope.minX, envelope.minY)]]))
        guard let out = GEOSVoronoiDiagram_r(handle, src.pointer, env.pointer, 0, 0) else { throw fail("voronoi diagram") }
        defer { GEOSGeom_destroy_r(handle, out) }
        guard let g = try value(out) else { return [] }
        if case .geometryCollection(let cells) = g { return cells }
        return [g]
    }

    /// Prepares a geometry for many repeated predicate tests against it.
    public func prepare(_ g: Geometry) throws -> PreparedGeometry {
        let base = try make(g)
        guard let p = GEOSPrepare_r(handle, base.pointer) else { throw fail("prepare") }
        return PreparedGeometry(engine: self, base: base, prepared: p, bbox: g.bbox)
    }
}

/// A GEOS geometry pointer owned by Swift; destroyed with its engine's context.
final class GEOSGeometryRef {
    let engine: GeometryEngine
    let pointer: OpaquePointer
    init(engine: GeometryEngine, pointer: OpaquePointer) { self.engine = engine; self.pointer = pointer }
    deinit { GEOSGeom_destroy_r(engine.handle, pointer) }
}

/// A prepared geometry: fast repeated contains/intersects tests. Owned by the engine's thread.
public final class PreparedGeometry {
    let engine: GeometryEngine
    let base: GEOSGeometryRef  // GEOS prepared geometries reference their base: keep it alive.
    let prepared: OpaquePointer
    /// The bounding box of the base geometry, for a cheap pre-test.
    public let bbox: BBox?

    init(engine: GeometryEngine, base: GEOSGeometryRef, prepared: OpaquePointer, bbox: BBox?) {
        self.engine = engine; self.base = base; self.prepared = prepared; self.bbox = bbox
    }

    deinit { GEOSPreparedGeom_destroy_r(engine.handle, prepared) }

    /// True when the point lies in the interior (GEOS `contains`: a point on the boundary is not contained).
    public func contains(_ p: Position) -> Bool {
        if let b = bbox, !b.contains(p) { return false }
        let h = engine.handle
        // GEOSGeom_createPointFromXY_r returns NULL only on allocation failure.
        guard let pt = GEOSGeom_createPointFromXY_r(h, p.x, p.y) else { return false }
        defer { GEOSGeom_destroy_r(h, pt) }
        return GEOSPreparedContains_r(h, prepared, pt) == 1  // 1 true, 0 false, 2 exception
    }

    public func contains(_ g: Geometry) throws -> Bool {
        if let b = bbox, let gb = g.bbox, !b.contains(gb) { return false }
        let other = try engine.make(g)
        return GEOSPreparedContains_r(engine.handle, prepared, other.pointer) == 1
    }

    /// True when `g` lies in the interior, touching no boundary: every point of it is then
    /// `contains`-ed.
    public func containsProperly(_ g: Geometry) throws -> Bool {
        if let b = bbox, let gb = g.bbox, !b.contains(gb) { return false }
        let other = try engine.make(g)
        return GEOSPreparedContainsProperly_r(engine.handle, prepared, other.pointer) == 1
    }

    public func intersects(_ g: Geometry) throws -> Bool {
        if let b = bbox, let gb = g.bbox, !b.intersects(gb) { return false }
        let other = try engine.make(g)
        return GEOSPreparedIntersects_r(engine.handle, prepared, other.pointer) == 1
    }
}
