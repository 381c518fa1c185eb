/// Fixed vocabularies of the synthetic demo: realistic shapes, no real persons or companies.
enum DemoVocabulary {
    /// Approximate seats (government locations) of the 2020 census units, lon/lat.
    static let seats: [String: (Double, Double)] = [
        "350402": (117.6365, 26.2705), "350403": (117.6080, 26.2340), "350427": (117.7920, 26.3970),
        "350421": (117.2020, 26.3560), "350423": (116.8170, 26.1770), "350424": (116.6540, 26.2620),
        "350425": (117.8470, 25.6920), "350426": (118.1900, 26.1700), "350428": (117.4710, 26.7280),
        "350429": (117.1760, 26.9000), "350430": (116.8460, 26.8310), "350481": (117.3650, 25.9420),
    ]

    static let uses = ["residential", "commercial", "industrial", "public"]
    static let useWeights = [0.78, 0.09, 0.06, 0.07]

    /// Age bands of 5 years (0-4 ... 95-99), shares resembling Sanming's 2020 census pyramid.
    static let ageBandWeights = [5.0, 5.8, 5.6, 4.8, 4.6, 5.9, 7.5, 6.9, 6.8, 8.4, 8.9, 7.3, 5.9, 5.6, 3.9, 2.7, 1.9, 1.0, 0.4, 0.1]

    /// Household sizes 1...6.
    static let householdSizeWeights = [0.25, 0.30, 0.22, 0.13, 0.07, 0.03]

    /// GB/T 4754-2017 sections (门类) A–T and rough shares of registered entities.
    static let industrySections = Array("ABCDEFGHIJKLMNOPQRST").map(String.init)
    static let industryWeights = [4.0, 0.3, 9.0, 0.4, 0.3, 7.0, 32.0, 3.0, 6.0, 2.0, 0.8, 1.5, 8.0, 4.0, 0.5, 6.0, 1.0, 0.8, 2.0, 1.4]
    static let industryWords = ["农业", "矿业", "制造", "能源", "水务", "建设", "商贸", "物流", "餐饮", "信息科技",
                                "金融服务", "置业", "商务咨询", "技术研发", "环境治理", "家政服务", "教育咨询", "医疗", "文化传媒", "社会服务"]
    static let tradeNames = ["鑫达", "恒昌", "闽兴", "沙溪", "明辉", "富源", "瑞丰", "宏盛", "永顺", "华茂", "金桥", "嘉禾",
                             "源泰", "广利", "德润", "新岚", "万福", "福林", "裕隆", "泰和", "青云", "翠屏", "格氏", "麒麟",
                             "泰宁", "荣发", "安达", "汇通", "天成", "益民", "东升", "兴业", "联丰", "晨光", "绿野", "闽中"]
    static let forms = ["有限公司", "有限责任公司", "股份有限公司", "合作社"]
}
