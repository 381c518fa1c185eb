import Foundation
import OneMapQuery
import OneMapStore

/// The tables of a `/stats` answer, made from the very typed answer `/stats` returns (so an export
/// can never show more, or other numbers, than the caller's `/stats`, and a renamed figure is a
/// compile error, not an empty column): a summary, people by sex,
/// age band and registration, businesses by industry section, buildings by use, and the groups
/// of a `groupBy`.
public enum StatisticsTables {
    /// Chinese headers first, English after, as the city's staff read them.
    static func figures(_ a: StatisticsAnswer) -> [(key: String, label: String, value: ReportCell)] {
        [("population", "人口 population", ReportCell(a.population.total)),
         ("households", "户数 households", ReportCell(a.population.households)),
         ("businesses", "法人 businesses", ReportCell(a.businesses.count)),
         ("employees", "从业人员 employees", ReportCell(a.businesses.employees)),
         ("buildings", "建筑 buildings", ReportCell(a.buildings.count)),
         ("floorArea", "建筑面积 floor area (m²)", ReportCell(a.buildings.floorArea))]
    }

    /// Figure, value: the six key figures.
    public static func summary(_ a: StatisticsAnswer) -> ReportTable {
        ReportTable(name: "概要 summary", columns: ["指标 figure", "key", "值 value"],
                    rows: figures(a).map { [.text($0.label), .text($0.key), $0.value] })
    }

    /// One table of a breakdown (`population.bySex`, ...), categories in the given order, then
    /// any others sorted; none when the breakdown is withheld.
    static func breakdown(_ m: StatisticsAnswer.Breakdown, name: String, category: String, count: String,
                          order: [String] = [], labels: [String: String] = [:]) -> ReportTable {
        var t = ReportTable(name: name, columns: [category, "key", count])
        guard let m = m.value else { return t }
        let keys = order.filter { m[$0] != nil } + m.keys.filter { !order.contains($0) }.sorted()
        t.rows = keys.map { [.text(labels[$0] ?? $0), .text($0), ReportCell(m[$0]!)] }
        return t
    }

    public static let sexLabels = ["M": "男 male", "F": "女 female"]
    public static let registrationLabels = ["户籍": "户籍 registered here", "流动": "流动 migrant"]
    public static let useLabels = ["residential": "住宅 residential", "commercial": "商业 commercial", "industrial": "工业 industrial",
                                   "public": "公共 public", "mixed": "商住 mixed", "other": "其他 other"]
    /// GB/T 4754-2017 sections.
    public static let industryLabels = [
        "A": "A 农、林、牧、渔业", "B": "B 采矿业", "C": "C 制造业", "D": "D 电力、热力、燃气及水生产和供应业", "E": "E 建筑业",
        "F": "F 批发和零售业", "G": "G 交通运输、仓储和邮政业", "H": "H 住宿和餐饮业", "I": "I 信息传输、软件和信息技术服务业",
        "J": "J 金融业", "K": "K 房地产业", "L": "L 租赁和商务服务业", "M": "M 科学研究和技术服务业", "N": "N 水利、环境和公共设施管理业",
        "O": "O 居民服务、修理和其他服务业", "P": "P 教育", "Q": "Q 卫生和社会工作", "R": "R 文化、体育和娱乐业",
        "S": "S 公共管理、社会保障和社会组织", "T": "T 国际组织",
    ]

    public static func bySex(_ a: StatisticsAnswer) -> ReportTable {
        breakdown(a.population.bySex, name: "性别 sex", category: "性别 sex", count: "人口 people", order: ["M", "F"], labels: sexLabels)
    }
    public static func byAgeBand(_ a: StatisticsAnswer) -> ReportTable {
        breakdown(a.population.byAgeBand, name: "年龄 age band", category: "年龄段 age band", count: "人口 people",
                  order: StatisticsDimension.ageBands)
    }
    public static func byRegistration(_ a: StatisticsAnswer) -> ReportTable {
        breakdown(a.population.byRegistration, name: "户籍 registration", category: "户籍 registration", count: "人口 people",
                  order: ["户籍", "流动"], labels: registrationLabels)
    }
    public static func byIndustry(_ a: StatisticsAnswer) -> ReportTable {
        breakdown(a.businesses.byIndustry, name: "行业 industry", category: "行业门类 GB/T 4754 section", count: "法人 businesses",
                  order: industryLabels.keys.sorted(), labels: industryLabels)
    }
    public static func byUse(_ a: StatisticsAnswer) -> ReportTable {
        breakdown(a.buildings.byUse, name: "建筑用途 use", category: "用途 use", count: "建筑 buildings",
                  order: ["residential", "commercial", "industrial", "public", "mixed", "other"], labels: useLabels)
    }

    /// The groups of a `groupBy` request: one table per kind of record, a column per dimension.
    public static func groups(_ a: StatisticsAnswer, names: [String: String] = [:]) -> [ReportTable] {
        guard let dims = a.groupBy, let groups = a.groups else { return [] }
        let kinds: [(rows: [StatisticsAnswer.GroupRow], title: String, count: String, measure: String)] = [
            (groups.population, "分组 人口 groups people", "people", "households"),
            (groups.businesses, "分组 法人 groups businesses", "businesses", "employees"),
            (groups.buildings, "分组 建筑 groups buildings", "buildings", "floorArea"),
        ]
        return kinds.map { kind in
            let used = dims.filter { d in kind.rows.contains { $0.keys[d] != nil } }
            // The first area level's code gets its name beside it.
            let areaDimension = names.isEmpty ? nil : used.first { ["county", "township", "village", "grid"].contains($0) }
            var t = ReportTable(name: kind.title, columns: used + (areaDimension == nil ? [] : ["name"]) + [kind.count, kind.measure])
            t.rows = kind.rows.map { r in
                var cells: [ReportCell] = used.map { .text(r.keys[$0] ?? "") }
                if let d = areaDimension { cells.append(.text(r.keys[d].flatMap { names[$0] } ?? "")) }
                return cells + [ReportCell(r.count), ReportCell(r.measure)]
            }
            return t
        }
    }

    /// Every table of the answer, in reading order.
    public static func all(_ a: StatisticsAnswer, names: [String: String] = [:]) -> [ReportTable] {
        [summary(a), bySex(a), byAgeBand(a), byRegistration(a), byIndustry(a), byUse(a)] + groups(a, names: names)
    }

    /// One long CSV table of all figures: table, category key, label, value, as analysts load it.
    public static func long(_ tables: [ReportTable]) -> ReportTable {
        var out = ReportTable(name: "statistics", columns: ["table", "key", "label", "value"])
        for t in tables {
            if t.name.hasPrefix("分组") {
                // Group rows: the key joins the dimension values, value columns become rows.
                let valueColumns = Array(t.columns.suffix(2))
                let keyCount = t.columns.count - 2
                for r in t.rows {
                    let key = zip(t.columns.prefix(keyCount), r.prefix(keyCount)).filter { $0.0 != "name" }.map { "\($0.0)=\($0.1.text)" }.joined(separator: ";")
                    let label = t.columns.prefix(keyCount).firstIndex(of: "name").map { r[$0].text } ?? ""
                    for (i, c) in valueColumns.enumerated() { out.rows.append([.text(t.name + " " + c), .text(key), .text(label), r[keyCount + i]]) }
                }
            } else {
                for r in t.rows { out.rows.append([.text(t.name), r[1], r[0], r[2]]) }
            }
        }
        return out
    }
}
