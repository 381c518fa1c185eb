import OneMapQuery
import OneMapStore

/// The answer of `/areas/{code}`: the area, its parent, its figures (the `/stats` answer's) and each
/// child's figures, every count through the same `PublishedCount` rule.
struct AreaDocument: Encodable {
    struct Link: Encodable {
        let rel: String
        let href: String
    }

    struct Parent: Encodable, Sendable {
        let code: String
        let name: String
        let href: String
    }

    struct Child: Encodable {
        let code: String
        let name: String
        let level: String
        let href: String
        let population: PublishedCount
        let households: PublishedCount
        let businesses: PublishedCount
        let employees: PublishedMeasure
        let buildings: PublishedCount
        let floorArea: PublishedMeasure
    }

    let code: String
    let name: String
    let level: String
    let validFrom: OrNull<String>
    let validTo: OrNull<String>
    let parent: OrNull<Parent>
    let datetime: String
    let rule: String
    let suppression: [String: String]
    let population: StatisticsAnswer.Population
    let businesses: StatisticsAnswer.Businesses
    let buildings: StatisticsAnswer.Buildings
    let groupBy: [String]?
    let groups: StatisticsAnswer.Groups?
    let children: [Child]
    let links: [Link]

    /// `stats`: the area's figures with its children's level as the breakdown.
    init(area: AdminAreaSummary, parent: AdminAreaSummary?, children: [AdminAreaSummary], stats: AreaStatistics,
         childLevel: StatisticsDimension?, day: String, disclosure d: StatisticsDisclosure, base: String, selfLink: String) {
        let answer = StatisticsDocument.make(stats, request: StatisticsRequest(area: .code(area.code), day: day, groupBy: childLevel.map { [$0] } ?? []),
                                             disclosure: d)
        code = area.code; name = area.name; level = area.level.rawValue
        validFrom = OrNull(area.validFrom); validTo = OrNull(area.validTo)
        self.parent = OrNull(parent.map { Parent(code: $0.code, name: $0.name, href: "\(base)/areas/\($0.code)") })
        datetime = answer.datetime; rule = answer.rule; suppression = answer.suppression
        population = answer.population; businesses = answer.businesses; buildings = answer.buildings
        groupBy = answer.groupBy; groups = answer.groups
        // Each child's figures from the groups keyed by its code (children without buildings: zeros).
        let key = childLevel?.rawValue ?? ""
        func sum(_ groups: [StatisticsGroup], _ child: String) -> (Int, Double) {
            groups.filter { $0.keys[key] == child }.reduce((0, 0)) { ($0.0 + $1.count, $0.1 + $1.measure) }
        }
        let people = d.groupAccess(childLevel.map { [$0] } ?? [])
        self.children = children.map { c in
            let (p, h) = sum(stats.peopleGroups, c.code), (b, e) = sum(stats.businessGroups, c.code), (n, fa) = sum(stats.buildingGroups, c.code)
            return Child(code: c.code, name: c.name, level: c.level.rawValue, href: "\(base)/areas/\(c.code)",
                         population: PublishedCount(p, people), households: PublishedCount(Int(h), people),
                         businesses: PublishedCount(b, d.businesses), employees: PublishedMeasure(sum: e, count: b, d.businesses, floorArea: false),
                         buildings: PublishedCount(n, d.buildings), floorArea: PublishedMeasure(sum: fa, count: n, d.buildings, floorArea: true))
        }
        links = [Link(rel: "self", href: selfLink), Link(rel: "statistics", href: "\(base)/stats?area=\(area.code)&datetime=\(day)")]
    }
}
