import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import OneMapAccess
import OneMapStore

/// Pushes each department's problem events to its webhook: the steps taken on problems it owns or
/// reported and may still read, in order, as `{"department", "events": [...]}` POSTed with
/// `X-OneMap-Signature: sha256=<HMAC-SHA-256 of the body under the webhook's secret>`. A 2xx moves
/// the department's cursor on; anything else is retried, later after each failure (up to 5 minutes).
final class ProblemWebhookDelivery: @unchecked Sendable {
    let store: any FeatureStore & GovernanceStore & ProblemStore
    let governance: Governance
    let timeout: TimeInterval
    private let lock = NSLock()
    private var retryAfter: [String: Date] = [:]  // guarded by lock

    init(store: any FeatureStore & GovernanceStore & ProblemStore, governance: Governance, timeout: TimeInterval = 10) {
        self.store = store; self.governance = governance; self.timeout = timeout
    }

    struct Payload: Encodable {
        let department: String
        let events: [ProblemDocument.Event]
    }

    /// One round over every webhook that is due.
    func deliverDue(now: Date = Date()) throws {
        let departments = Dictionary(try store.departments().map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        for hook in try store.problemWebhooks() {
            if let wait = lock.withLock({ retryAfter[hook.department] }), wait > now { continue }
            guard let department = departments[hook.department] else { continue }
            let sight = ProblemRoutes.Sight(caller: Caller(principal: .department(department, keyPrefix: "webhook"), grantID: nil),
                                            governance: governance, store: store)
            let batch = try store.problemEvents(after: hook.lastEvent, limit: 200)
            guard let last = batch.last else { continue }
            var mine: [ProblemDocument.Event] = []
            var concerns: [Int64: Bool] = [:]
            for e in batch {
                if concerns[e.problemID] == nil {
                    let p = try store.problem(id: e.problemID)
                    var concerned = false
                    if let p, p.owner == department.code || p.reporter == department.code { concerned = try sight.sees(p) }
                    concerns[e.problemID] = concerned
                }
                if concerns[e.problemID] == true { mine.append(ProblemDocument.Event(e)) }
            }
            guard !mine.isEmpty else {
                try store.recordWebhookDelivery(department: hook.department, through: last.id, error: nil)
                continue
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let body = try encoder.encode(Payload(department: hook.department, events: mine))
            if let failure = post(body, to: hook) {
                let delay = min(300, 2 * pow(2, Double(min(hook.failures, 8))))
                lock.withLock { retryAfter[hook.department] = now.addingTimeInterval(delay) }
                try store.recordWebhookDelivery(department: hook.department, through: nil, error: failure)
            } else {
                lock.withLock { retryAfter[hook.department] = nil }
                try store.recordWebhookDelivery(department: hook.department, through: last.id, error: nil)
            }
        }
    }

    /// POSTs the body; nil when the receiver answered 2xx, else what went wrong.
    private func post(_ body: Data, to hook: ProblemWebhook) -> String? {
        guard let url = URL(string: hook.url) else { return "not a URL" }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("sha256=" + Digest.hmacSHA256Hex(key: Array(hook.secret.utf8), String(decoding: body, as: UTF8.self)),
                         forHTTPHeaderField: "X-OneMap-Signature")
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: String? = "no answer"
        let task = URLSession.shared.dataTask(with: request) { _, response, error in
            if let error { outcome = "\(error.localizedDescription)" } else if let http = response as? HTTPURLResponse {
                outcome = (200..<300).contains(http.statusCode) ? nil : "HTTP \(http.statusCode)"
            }
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + timeout + 1) == .timedOut {
            task.cancel()
            return "timed out after \(Int(timeout)) s"
        }
        return outcome
    }
}

struct ProblemWebhookService: TickingService {
    let delivery: ProblemWebhookDelivery
    let state = ServiceState()
    let logger: Logger
    var name: String { "problemWebhooks" }
    var interval: Duration { .seconds(1) }

    func tick() throws { try delivery.deliverDue() }
    func finish() async {}
}
