import OneMapStore

/// An area's totals on many days in one pass (a time series): each building, business and person
/// is valid on a run of consecutive steps (the days ascend), found by binary search and added to
/// difference arrays; prefix sums then give every step. A household counts on the steps where any
/// of its members is valid (the union of their runs).
struct EngineSeries {
    let c: StatisticsColumns
    /// Day numbers of the steps, ascending.
    let days: [Int32]

    /// The first step on or after day `d`.
    private func firstStep(atOrAfter d: Int32) -> Int {
        var lo = 0, hi = days.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if days[mid] < d { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The steps on which something valid in [from, to) is valid, within `steps`.
    @inline(__always)
    private func steps(_ from: Int32, _ to: Int32, within steps: Range<Int>) -> Range<Int> {
        let lo = max(firstStep(atOrAfter: from), steps.lowerBound), hi = min(firstStep(atOrAfter: to), steps.upperBound)
        return lo < hi ? lo..<hi : steps.lowerBound..<steps.lowerBound
    }

    /// Totals per step for area versions given per step (nil: the area did not exist that day).
    func run(versionOfStep: [Int?], texts: [String]) -> [AreaTotals?] {
        let n = days.count
        var people = [Int](repeating: 0, count: n + 1), households = [Int](repeating: 0, count: n + 1)
        var firms = [Int](repeating: 0, count: n + 1), employees = [Int64](repeating: 0, count: n + 1)
        var buildings = [Int](repeating: 0, count: n + 1), milli = [Int64](repeating: 0, count: n + 1)
        var shared = Set<Int>()  // step << 32 | household
        var runs: [Range<Int>] = []
        // Steps of one area version are consecutive (a version is valid on one interval).
        var s = 0
        while s < n {
            guard let v = versionOfStep[s] else { s += 1; continue }
            var e = s + 1
            while e < n && versionOfStep[e] == v { e += 1 }
            let within = s..<e
            for i in Int(c.areaBuildingStart[v])..<Int(c.areaBuildingStart[v + 1]) {
                let b = Int(c.areaBuildings[i])
                let standing = steps(c.buildingFrom[b], c.buildingTo[b], within: within)
                guard !standing.isEmpty else { continue }
                buildings[standing.lowerBound] += 1; buildings[standing.upperBound] -= 1
                milli[standing.lowerBound] += c.buildingFloorMilli[b]; milli[standing.upperBound] -= c.buildingFloorMilli[b]
                let entity = Int(c.buildingEntity[b])
                for f in Int(c.entityFirmStart[entity])..<Int(c.entityFirmStart[entity + 1]) {
                    let r = steps(c.firmFrom[f], c.firmTo[f], within: standing)
                    guard !r.isEmpty else { continue }
                    firms[r.lowerBound] += 1; firms[r.upperBound] -= 1
                    employees[r.lowerBound] += c.firmEmployees[f]; employees[r.upperBound] -= c.firmEmployees[f]
                }
                var p = Int(c.entityPeopleStart[entity])
                let end = Int(c.entityPeopleStart[entity + 1])
                while p < end {
                    let h = c.personHousehold[p]
                    runs.removeAll(keepingCapacity: true)
                    var q = p
                    while q < end && c.personHousehold[q] == h {
                        let r = steps(c.personFrom[q], c.personTo[q], within: standing)
                        if !r.isEmpty {
                            people[r.lowerBound] += 1; people[r.upperBound] -= 1
                            runs.append(r)
                        }
                        q += 1
                    }
                    if h >= 0 && !runs.isEmpty {
                        if c.householdShared[Int(h)] {
                            for r in runs { for step in r { shared.insert(step << 32 | Int(h)) } }
                        } else {
                            // The union of the members' runs.
                            runs.sort { $0.lowerBound < $1.lowerBound }
                            var current = runs[0]
                            for r in runs.dropFirst() {
                                if r.lowerBound <= current.upperBound { current = current.lowerBound..<max(current.upperBound, r.upperBound) } else {
                                    households[current.lowerBound] += 1; households[current.upperBound] -= 1
                                    current = r
                                }
                            }
                            households[current.lowerBound] += 1; households[current.upperBound] -= 1
                        }
                    }
                    p = q
                }
            }
            s = e
        }
        var sharedPerStep = [Int](repeating: 0, count: n)
        for x in shared { sharedPerStep[x >> 32] += 1 }
        var out: [AreaTotals?] = []
        var sums = (people: 0, households: 0, firms: 0, employees: Int64(0), buildings: 0, milli: Int64(0))
        for i in 0..<n {
            sums.people += people[i]; sums.households += households[i]; sums.firms += firms[i]
            sums.employees += employees[i]; sums.buildings += buildings[i]; sums.milli += milli[i]
            guard let v = versionOfStep[i] else { out.append(nil); continue }
            var t = AreaTotals(day: texts[i], name: c.areaName[v])
            t.people = sums.people; t.households = sums.households + sharedPerStep[i]
            t.businesses = sums.firms; t.employees = Int(sums.employees)
            t.buildings = sums.buildings; t.floorArea = Double(sums.milli) / 1000
            out.append(t)
        }
        return out
    }
}
