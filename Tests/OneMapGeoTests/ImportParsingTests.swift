import Foundation
import OneMapGeo
import Testing

/// The fast paths bulk imports take must give exactly what the slow, obvious way gives.
@Suite struct ImportParsingTests {
    @Test func fastNumberParsingEqualsStrtod() throws {
        var rng = SystemRandomNumberGenerator()
        var texts = ["0", "-0", "117.6102128", "26.2448588", "1e5", "1.5E-3", "123456789012345678", "0.1", "0.30000000000000004",
                     "-117.60000000000001", "9007199254740993", "1.7976931348623157e308", "4.9e-324", "0.000001234567"]
        for _ in 0..<20_000 {
            let digits = Int.random(in: 1...17, using: &rng)
            let scale = Int.random(in: 0...digits, using: &rng)
            var s = String((0..<digits).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) })
            s.insert(".", at: s.index(s.startIndex, offsetBy: digits - scale))
            if s.hasPrefix(".") { s = "0" + s }
            if s.hasSuffix(".") { s += "0" }
            while s.count > 1 && s.hasPrefix("0") && !s.hasPrefix("0.") { s.removeFirst() }
            texts.append(Bool.random(using: &rng) ? "-" + s : s)
        }
        for t in texts {
            let node = try FastJSONParser.parse("[\(t)]")
            guard case .array(let a) = node, case .number(let d, _) = a[0] else { Issue.record("\(t) did not parse"); continue }
            #expect(d.bitPattern == strtod(t, nil).bitPattern, "\(t)")
        }
    }

    @Test func featuresAreFoundAndParsedFromTheirByteRanges() throws {
        let doc = #"{"type":"FeatureCollection","name":"x","features":[{"type":"Feature","id":7,"properties":{"a":"}]\"x"},"geometry":{"coordinates":[[[1,2],[3,2],[3,4],[1,2]]],"type":"Polygon"}},{"type":"Feature","properties":null,"geometry":null},{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[1,2],[3,2]]]}},{"type":"Feature","properties":{"b":"\\","c":"{[\"","d":[{"e":"]}"}]},"geometry":{"type":"Point","coordinates":[5,6,7]}}]}"#
        var text = doc
        try text.withUTF8 { raw in
            let bytes = UnsafeRawBufferPointer(raw)
            let (members, ranges) = try FastJSONParser.featureCollectionRanges(bytes)
            #expect(members.map(\.0) == ["type", "name"])
            let features = try #require(ranges).map { FastJSONParser.feature(bytes, range: $0) }
            #expect(features.count == 4)
            #expect(features[0].error == nil)
            #expect(features[0].properties.first?.1.string == "}]\"x")
            if case .number(7, _)? = features[0].id {} else { Issue.record("id not kept") }
            #expect(features[0].geometry == .polygon([[Position(1, 2), Position(3, 2), Position(3, 4), Position(1, 2)]]))
            #expect(features[1].geometry == nil && features[1].error == nil)
            #expect(features[2].error?.contains("ring 0 has 2 positions") == true)
            // Escaped backslashes before a closing quote, brackets inside strings, nested values,
            // and a third (height) coordinate, which is dropped.
            #expect(features[3].error == nil)
            #expect(features[3].properties.map(\.0) == ["b", "c", "d"])
            #expect(features[3].properties[0].1.string == "\\" && features[3].properties[1].1.string == "{[\"")
            #expect(features[3].geometry == .point(Position(5, 6)))
        }
    }

    @Test func simpleRingCheckNeverCallsAnInvalidPolygonValid() throws {
        let engine = GeometryEngine()
        var rng = SystemRandomNumberGenerator()
        var certain = 0
        for k in 0..<5000 {
            // Random small rings, many of them self-intersecting, some with repeated or collinear points.
            let n = Int.random(in: 3...9, using: &rng)
            var ring = (0..<n).map { _ in Position(117.6 + Double(Int.random(in: 0...6, using: &rng)) * 1e-5,
                                                   26.2 + Double(Int.random(in: 0...6, using: &rng)) * 1e-5) }
            if k % 3 == 0 {  // convex-ish: points around a circle, usually valid
                ring = (0..<n).map { i in
                    let a = Double(i) / Double(n) * 2 * .pi
                    return Position(117.6 + cos(a) * 1e-4, 26.2 + sin(a) * 1e-4)
                }
            }
            ring.append(ring[0])
            let polygon: Polygon = [ring]
            let quick = SimpleRingCheck.isCertainlyValid(polygon)
            let geos = try engine.validity(.polygon(polygon)).isValid
            if quick { certain += 1; #expect(geos, "\(ring)") }
        }
        #expect(certain > 1000)  // the fast path is actually taken
    }

    @Test func hilbertOrderKeepsNeighboursClose() {
        let curve = HilbertCurve(box: BBox(minX: 0, minY: 0, maxX: 1, maxY: 1))
        #expect(curve.index(Position(0, 0)) == 0)
        // Adjacent cells along the curve: every index in a 4x4 grid distinct.
        let grid = (0..<16).map { i in curve.index(Position(Double(i % 4) / 4 + 0.1, Double(i / 4) / 4 + 0.1)) }
        #expect(Set(grid).count == 16)
        #expect(curve.index(Position(0.01, 0.01)) < curve.index(Position(0.99, 0.01)))
    }
}
