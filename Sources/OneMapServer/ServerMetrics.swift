import Foundation
import Hummingbird
import Metrics
import Prometheus

/// The server's Prometheus metrics. Requests (per route, method and status: counts and latency
/// histograms), rate-limit refusals and database read times are recorded through swift-metrics as
/// they happen; the state of the caches, snapshots, lanes, pool and audit writer is read from
/// those components when `/metrics` is scraped (`MetricsSnapshot`), so nothing on their hot
/// paths pays for it.
enum ServerMetrics {
    /// The process's registry. swift-metrics takes one backend per process, so it is bootstrapped
    /// here once, whichever server (or test) asks first.
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Hummingbird's and OneMap's labels use dots (OpenTelemetry style); Prometheus names may not.
        factory.nameAndLabelSanitizer = { name, labels in (prometheusName(name), labels.map { (prometheusName($0.0), $0.1) }) }
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
            .seconds(5), .seconds(10), .seconds(30),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// Makes sure the backend is in place before the first metric is created.
    static func start() { _ = registry }

    static func prometheusName(_ s: String) -> String {
        String(s.unicodeScalars.map { u -> Character in
            (u.properties.isASCIIHexDigit || ("a"..."z").contains(u) || ("A"..."Z").contains(u) || u == "_" || u == ":") ? Character(u) : "_"
        })
    }

    /// Requests the tile fast path answers in the channel pipeline (they never reach the router's
    /// middleware): counted under the same names and labels as the router's.
    static let fastTileRoute = "/tiles/{layers}/{z}/{x}/{y}"

    static let rateLimitRefusals = Metrics.Counter(label: "onemap.rate_limit.refusals")
}

/// Request metrics of the tile fast path, one set per status (made once, used on every hit).
final class FastPathMetrics: Sendable {
    private let byStatus: [Int: (Metrics.Counter, Metrics.Timer)]

    init() {
        ServerMetrics.start()
        var m: [Int: (Metrics.Counter, Metrics.Timer)] = [:]
        for status in [200, 204, 304] {
            let dimensions = [("http.route", ServerMetrics.fastTileRoute), ("http.request.method", "GET"), ("http.response.status_code", "\(status)")]
            m[status] = (Metrics.Counter(label: "hb.requests", dimensions: dimensions),
                         Metrics.Timer(label: "http.server.request.duration", dimensions: dimensions, preferredDisplayUnit: .seconds))
        }
        byStatus = m
    }

    func record(status: Int, nanoseconds: Int64) {
        guard let (counter, timer) = byStatus[status] else { return }
        counter.increment()
        timer.recordNanoseconds(nanoseconds)
    }
}

/// What the components report at scrape time, in Prometheus text format (0.0.4).
struct MetricsSnapshot {
    private(set) var text = ""

    mutating func gauge(_ name: String, _ help: String, _ samples: [([(String, String)], Double)]) {
        family(name, help, type: "gauge", samples)
    }

    mutating func counter(_ name: String, _ help: String, _ samples: [([(String, String)], Double)]) {
        family(name, help, type: "counter", samples)
    }

    private mutating func family(_ name: String, _ help: String, type: String, _ samples: [([(String, String)], Double)]) {
        guard !samples.isEmpty else { return }
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        for (labels, value) in samples {
            text += name
            if !labels.isEmpty {
                text += "{" + labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",") + "}"
            }
            text += " \(value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value))\n"
        }
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
