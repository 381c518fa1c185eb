import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// HTML pages of the OGC API endpoints for a browser (`f=html`, or a browser's Accept): the same
/// documents as the JSON, as headings, links, tables and, for features, a map.
enum HTMLPage {
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// `href` with `f=html` when it points at a JSON document (so browsing stays in HTML).
    static func browsable(_ href: String, type: String?) -> String {
        guard let type, type.contains("json") || type.contains("geo+json") else { return href }
        guard !href.contains("{") else { return href }
        return href + (href.contains("?") ? "&" : "?") + "f=html"
    }

    static func links(_ links: [[String: Any]]) -> String {
        let items = links.map { l -> String in
            let href = l["href"] as? String ?? "", rel = l["rel"] as? String ?? "", type = l["type"] as? String
            let title = l["title"] as? String ?? rel
            return "<li><a href=\"\(escape(browsable(href, type: type)))\">\(escape(title))</a> <small>\(escape(rel))\(type.map { " · " + escape($0) } ?? "")</small> · <a href=\"\(escape(href))\">json</a></li>"
        }
        return "<ul class=\"links\">\(items.joined())</ul>"
    }

    static func value(_ v: Any) -> String {
        switch v {
        case is NSNull: return "<i>null</i>"
        case let s as String: return escape(s)
        case let n as NSNumber: return escape(n.stringValue)
        case let d as [String: Any]: return "<pre>\(escape(String(decoding: (try? JSONSerialization.data(withJSONObject: d, options: [.sortedKeys])) ?? Data(), as: UTF8.self)))</pre>"
        case let a as [Any]: return a.map(value).joined(separator: ", ")
        default: return escape("\(v)")
        }
    }

    /// A features table: id (linked) and every property.
    static func table(_ features: [[String: Any]], itemBase: String) -> String {
        guard let first = features.first?["properties"] as? [String: Any] else { return "<p>No features.</p>" }
        let keys = first.keys.sorted()
        var out = "<table><tr><th>id</th>" + keys.map { "<th>\(escape($0))</th>" }.joined() + "</tr>"
        for f in features {
            let id = (f["id"] as? NSNumber)?.stringValue ?? ""
            let props = f["properties"] as? [String: Any] ?? [:]
            out += "<tr><td><a href=\"\(escape(itemBase))/\(escape(id))?f=html\">\(escape(id))</a></td>"
            out += keys.map { "<td>\(value(props[$0] ?? NSNull()))</td>" }.joined() + "</tr>"
        }
        return out + "</table>"
    }

    /// A page; `geoJSONURL` adds a map of that GeoJSON (drawn with the locally served MapLibre).
    static func response(title: String, body: String, geoJSONURL: String? = nil) -> Response {
        var html = """
            <!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · OneMap</title>
            <style>body{font-family:"Noto Sans CJK SC",sans-serif;margin:1.5em;max-width:1200px}table{border-collapse:collapse;font-size:13px}
            td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}small{color:#777}#map{height:420px;margin:1em 0}pre{margin:0}</style>
            """
        if geoJSONURL != nil { html += "<link rel=\"stylesheet\" href=\"/vendor/maplibre-gl.css\"><script src=\"/vendor/maplibre-gl.js\"></script>" }
        html += "</head><body><p><a href=\"/?f=html\">OneMap 三明市一张图</a> · <a href=\"/collections?f=html\">collections</a> · <a href=\"/conformance?f=html\">conformance</a> · <a href=\"/api\">API (OpenAPI)</a></p>"
        html += "<h1>\(escape(title))</h1>"
        if let url = geoJSONURL {
            let data = String(decoding: (try? JSONSerialization.data(withJSONObject: [url], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8), as: UTF8.self)
            html += """
                <div id="map"></div><script>
                (async () => {
                  const url = \(data)[0];
                  const data = await (await fetch(url, {headers: {Accept: "application/geo+json"}})).json();
                  const map = new maplibregl.Map({container: "map", style: {version: 8, sources: {}, layers: [{id: "bg", type: "background", paint: {"background-color": "#f4f1ea"}}]}});
                  map.on("load", () => {
                    map.addSource("f", {type: "geojson", data});
                    map.addLayer({id: "fill", type: "fill", source: "f", filter: ["==", ["geometry-type"], "Polygon"], paint: {"fill-color": "#fdbb84", "fill-outline-color": "#7f0000"}});
                    map.addLayer({id: "line", type: "line", source: "f", paint: {"line-color": "#7f0000"}});
                    map.addLayer({id: "pt", type: "circle", source: "f", filter: ["==", ["geometry-type"], "Point"], paint: {"circle-color": "#e34a33", "circle-radius": 4}});
                    const b = new maplibregl.LngLatBounds();
                    const walk = (c) => typeof c[0] === "number" ? b.extend(c) : c.forEach(walk);
                    (data.features || [data]).forEach((f) => f.geometry && walk(f.geometry.coordinates));
                    if (!b.isEmpty()) map.fitBounds(b, {padding: 20, maxZoom: 17, duration: 0});
                  });
                })();
                </script>
                """
        }
        html += body + "</body></html>"
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

extension HTMLPage {
    /// Any JSON document as a page: its links as a list, every other member as a row (nested
    /// values as indented JSON). For the metadata endpoints that have no page of their own.
    static func document(_ doc: [String: Any]) -> String {
        var out = ""
        if let list = doc["links"] as? [[String: Any]] { out += HTMLPage.links(list) }
        let rows = doc.keys.filter { $0 != "links" }.sorted().map { key -> String in
            "<tr><th>\(escape(key))</th><td>\(nested(doc[key] ?? NSNull()))</td></tr>"
        }
        return out + "<table>\(rows.joined())</table>"
    }

    private static func nested(_ v: Any) -> String {
        switch v {
        case is [String: Any], is [Any]:
            let data = (try? JSONSerialization.data(withJSONObject: v, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data()
            return "<pre>\(escape(String(decoding: data, as: UTF8.self)))</pre>"
        default: return value(v)
        }
    }

    /// The API's operations: method, path, summary and parameters, with a link to the document.
    static func operations(_ document: OpenAPI.Document) -> String {
        var out = "<p>\(escape(document.info.description))</p><p><a href=\"/api?f=json\">The OpenAPI 3.0 document (JSON)</a></p>"
        out += "<table><tr><th>method</th><th>path</th><th>summary</th><th>parameters</th></tr>"
        for path in document.paths.keys.sorted() {
            for (method, operation) in document.paths[path]?.operations ?? [] {
                let parameters = operation.parameters.map { "\(escape($0.name))\($0.required ? "*" : "")" }.joined(separator: ", ")
                out += "<tr><td>\(method)</td><td>\(escape(path))</td><td>\(escape(operation.summary))</td><td><small>\(parameters)</small></td></tr>"
            }
        }
        return out + "</table>"
    }
}
