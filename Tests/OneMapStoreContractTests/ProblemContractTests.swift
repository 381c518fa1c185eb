import Foundation
import OneMapGeo
import OneMapStore
import Testing

/// Problem reports behave alike on both backends: the life cycle's steps and only those, a
/// correction linked to a later version of the same entity, targets of every kind, filters.
@Suite struct ProblemContractTests {
    static let reporter = ProblemActorName(principal: "SMJY/om_abc", department: "SMJY")
    static let owner = ProblemActorName(principal: "SMGA/om_def", department: "SMGA")

    /// The small city with the police owning it and a reporter department.
    static func city(_ backend: Backend) throws -> FreshDatabase {
        let db = try backend.fresh()
        try SmallCity.load(into: db.store)
        try db.store.addDepartment(Department(code: "SMJY", name: "教育局"))
        if try !db.store.departments().contains(where: { $0.code == "SMGA" }) {
            try db.store.addDepartment(Department(code: "SMGA", name: "公安局"))
        }
        return db
    }

    static func row(_ s: any OneMapDatabase, _ layer: String, key: String) throws -> ProblemTargetRow {
        let info = try #require(try s.layer(id: layer))
        for id in (1...(try s.newestRowID(layer: info))).reversed() {
            if let r = try s.problemTarget(layer: info, id: id), r.entityKey == key { return r }
        }
        throw StoreError("no row of \(key) in \(layer)")
    }

    static func file(_ s: any OneMapDatabase, _ layer: String, target: ProblemTargetRow?, check: String? = nil, fingerprint: String? = nil,
                     priority: ProblemPriority = .normal) throws -> Problem {
        let info = try #require(try s.layer(id: layer))
        return try s.fileProblem(NewProblem(layer: layer, targetID: target?.id, description: "数据有误，请核实", priority: priority, reporter: "SMJY",
                                            check: check, fingerprint: fingerprint),
                                 owner: info.ownerDepartment, target: target, newestRow: try s.newestRowID(layer: info), by: reporter)
    }

    @Test(arguments: Backend.allCases) func theLifeCycleTakesItsStepsAndNoOthers(_ backend: Backend) throws {
        let db = try Self.city(backend), s = db.store
        let b1 = try Self.row(s, "buildings", key: "B1")
        #expect(b1.point != nil)
        let p = try Self.file(s, "buildings", target: b1, priority: .urgent)
        let buildingsOwner = try s.layer(id: "buildings")?.ownerDepartment
        #expect(p.state == .open && p.entityKey == "B1" && p.location != nil && p.owner == buildingsOwner)
        #expect(p.deadline == ProblemRules.deadline(from: ISODate.string(Date()), .urgent))
        // Steps the state does not have are conflicts, named.
        let early = try #require(throws: StoreError.self) { try s.advanceProblem(id: p.id, .confirm, by: Self.reporter, note: nil, version: nil) }
        #expect(early.kind == .conflict && early.message.contains("open"))
        _ = try s.advanceProblem(id: p.id, .accept, by: Self.owner, note: nil, version: nil)
        // A correction names a version written after filing, of the same entity.
        let noVersion = try #require(throws: StoreError.self) { try s.advanceProblem(id: p.id, .correct, by: Self.owner, note: "改了", version: nil) }
        #expect(noVersion.message.contains("version"))
        let old = try #require(throws: StoreError.self) { try s.advanceProblem(id: p.id, .correct, by: Self.owner, note: nil, version: b1.id) }
        #expect(old.message.contains("before problem"))
        try s.bulkLoad { w in
            try w.add(Building(entityCode: "B9", footprint: rect(117.25, 26.25), floors: 3, use: "residential", builtDate: "2020-01-01"))
        }
        let b9 = try Self.row(s, "buildings", key: "B9")
        let other = try #require(throws: StoreError.self) { try s.advanceProblem(id: p.id, .correct, by: Self.owner, note: nil, version: b9.id) }
        #expect(other.message.contains("another entity"))
        let missing = try #require(throws: StoreError.self) { try s.advanceProblem(id: p.id, .correct, by: Self.owner, note: nil, version: 999_999) }
        #expect(missing.kind == .notFound)
        #expect(try s.problem(id: p.id)?.state == .accepted)
        let unknown = try #require(throws: StoreError.self) { try s.advanceProblem(id: 999, .accept, by: Self.owner, note: nil, version: nil) }
        #expect(unknown.kind == .notFound)
        // Reject and reopen need reasons; reopening restarts the deadline and counts.
        #expect(throws: StoreError.self) { try s.advanceProblem(id: p.id, .reject, by: Self.owner, note: " ", version: nil) }
        _ = try s.advanceProblem(id: p.id, .reject, by: Self.owner, note: "无误", version: nil)
        let reopened = try s.advanceProblem(id: p.id, .reopen, by: Self.reporter, note: "仍有误", version: nil)
        #expect(reopened.state == .open && reopened.reopened == 1)
        let events = try s.problemEvents(problem: p.id)
        #expect(events.map(\.action) == [.file, .accept, .reject, .reopen])
        #expect(events.map(\.to) == [.open, .accepted, .rejected, .open] && events[2].note == "无误")
        #expect(events.map(\.department) == ["SMJY", "SMGA", "SMGA", "SMJY"])
    }

    @Test(arguments: Backend.allCases) func recordsAndWholeLayersCanBeReported(_ backend: Backend) throws {
        let db = try Self.city(backend), s = db.store
        // A person record: its key, and its building's place.
        let people = try #require(try s.layer(id: "population"))
        let person = try #require(try s.problemTarget(layer: people, id: 1))
        let b1 = try Self.row(s, "buildings", key: "B1")
        #expect(person.point == b1.point)
        let businesses = try #require(try s.layer(id: "businesses"))
        let business = try #require(try s.problemTarget(layer: businesses, id: 1))
        #expect(business.point != nil)
        #expect(try s.problemTarget(layer: people, id: 10_000) == nil)
        let whole = try Self.file(s, "businesses", target: nil)
        #expect(whole.targetID == nil && whole.entityKey == nil && whole.location == nil)
        let labels = try #require(try s.layer(id: "admin_labels"))
        #expect(throws: StoreError.self) { try s.problemTarget(layer: labels, id: 1) }
        // Fields are the layer's; attachments have a limit.
        var bad = NewProblem(layer: "population", field: "salary", description: "没有的字段", reporter: "SMJY")
        #expect(throws: StoreError.self) { try s.fileProblem(bad, owner: "SMGA", target: nil, newestRow: 0, by: Self.reporter) }
        bad.field = nil
        bad.attachment = ProblemAttachment(name: "big.bin", mediaType: "application/octet-stream", bytes: [UInt8](repeating: 0, count: ProblemRules.maxAttachmentBytes + 1))
        let big = try #require(throws: StoreError.self) { try s.fileProblem(bad, owner: "SMGA", target: nil, newestRow: 0, by: Self.reporter) }
        #expect(big.message.contains("4 MiB"))
        bad.attachment = ProblemAttachment(name: "现场.jpg", mediaType: "image/jpeg", bytes: [1, 2, 3])
        let withFile = try s.fileProblem(bad, owner: "SMGA", target: person, newestRow: 9, by: Self.reporter)
        let digest = Digest.sha256Hex([UInt8]([1, 2, 3]))
        #expect(withFile.attachment?.size == 3 && withFile.attachment?.sha256 == digest)
        let stored = try s.problemAttachment(problem: withFile.id)?.bytes
        #expect(stored == [1, 2, 3])
    }

    @Test(arguments: Backend.allCases) func queriesFilterAndTheFeedRunsInOrder(_ backend: Backend) throws {
        let db = try Self.city(backend), s = db.store
        let b1 = try Self.row(s, "buildings", key: "B1"), b2 = try Self.row(s, "buildings", key: "B2")
        let p1 = try Self.file(s, "buildings", target: b1)
        let p2 = try Self.file(s, "buildings", target: b2, priority: .low)
        let p3 = try Self.file(s, "businesses", target: nil)
        _ = try s.advanceProblem(id: p2.id, .accept, by: Self.owner, note: nil, version: nil)
        var q = ProblemQuery()
        #expect(try s.problems(q).map(\.id) == [p3.id, p2.id, p1.id])
        q.layers = ["buildings"]
        #expect(try s.problems(q).map(\.id) == [p2.id, p1.id])
        q.states = [.accepted]
        #expect(try s.problems(q).map(\.id) == [p2.id])
        q = ProblemQuery()
        q.bbox = BBox(minX: 117.19, minY: 26.19, maxX: 117.21, maxY: 26.21)
        #expect(try s.problems(q).map(\.id) == [p1.id])
        q = ProblemQuery()
        q.priorities = [.low]
        #expect(try s.problems(q).map(\.id) == [p2.id])
        q = ProblemQuery()
        q.overdueOn = "2999-01-01"
        #expect(Set(try s.problems(q).map(\.id)) == [p1.id, p2.id, p3.id])
        q.overdueOn = ISODate.string(Date())
        #expect(try s.problems(q).isEmpty)
        q = ProblemQuery()
        q.layers = []
        #expect(try s.problems(q).isEmpty)
        let feed = try s.problemEvents(after: 0, limit: 100)
        #expect(feed.map(\.problemID) == [p1.id, p2.id, p3.id, p2.id] && feed.map(\.id) == feed.map(\.id).sorted())
        #expect(try s.problemEvents(after: feed[1].id, limit: 1).map(\.id) == [feed[2].id])
    }

    @Test(arguments: Backend.allCases) func oneLiveProblemPerFindingFingerprint(_ backend: Backend) throws {
        let db = try Self.city(backend), s = db.store
        let p = try Self.file(s, "buildings", target: nil, check: "overlapping_footprints", fingerprint: "overlap:B1:B3")
        #expect(throws: StoreError.self) { try Self.file(s, "buildings", target: nil, check: "overlapping_footprints", fingerprint: "overlap:B1:B3") }
        // A finding that the data no longer shows closes with a note, without a version.
        _ = try s.advanceProblem(id: p.id, .correct, by: ProblemActorName(principal: "cli:check", department: nil), note: "检查不再发现", version: nil)
        _ = try s.advanceProblem(id: p.id, .confirm, by: ProblemActorName(principal: "cli:check", department: nil), note: nil, version: nil)
        // Once confirmed, the same finding seen again is a new problem.
        #expect(try Self.file(s, "buildings", target: nil, check: "overlapping_footprints", fingerprint: "overlap:B1:B3").id != p.id)
    }
}
