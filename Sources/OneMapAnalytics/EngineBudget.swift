import OneMapStore

/// The statistics engine was not built because it would not fit the server's memory budget
/// (`--memory-mb`): exact figures then come from SQL, protected figures and analyses (which only
/// the engine computes) are refused with 503 naming the budget. Its text is safe for /health: it
/// names sizes, not the store.
public struct EngineOverBudget: Error, CustomStringConvertible, Sendable {
    public let records: Int
    public let neededBytes: Int
    public let limitBytes: Int
    public var description: String {
        "the statistics engine needs about \(neededBytes >> 20) MB for \(records) person and business records, "
            + "beyond this server's memory budget of \(limitBytes >> 20) MB (--memory-mb)"
    }
}

extension StatisticsEngine {
    /// Bytes per person or business record, with the buildings, areas and text tables they bring:
    /// measured on the full demo (208 MB for 2,486,450 people and 150,000 businesses). Buildings
    /// per person vary little between the demo's scales, so records alone predict the size.
    static let bytesPerRecord = 84

    /// Throws when `records` people and businesses would not fit `limitBytes` (checked before a
    /// full build reads anything: the scan of 160 million rows is minutes of the store's time).
    static func checkBudget(records: Int, limitBytes: Int) throws {
        let needed = records * bytesPerRecord
        if needed > limitBytes { throw EngineOverBudget(records: records, neededBytes: needed, limitBytes: limitBytes) }
    }

    /// Throws when a built (or updated) engine holds more than `limitBytes`: the estimate was low.
    func checkBudget(limitBytes: Int) throws {
        if memoryBytes > limitBytes {
            throw EngineOverBudget(records: columns.peopleCount + columns.firmCount, neededBytes: memoryBytes, limitBytes: limitBytes)
        }
    }
}
