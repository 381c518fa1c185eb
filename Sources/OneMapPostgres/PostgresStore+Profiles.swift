import OneMapStore

/// The rows of profiles and relation graphs: `ProfileLedger`'s SQL on the readers.
extension PostgresStore: ProfileStore {
    public func recordVersions(layer: String, key: String) throws -> [RecordVersion] {
        try readers.with { try ProfileLedger.versions(PGLedger($0), layer: layer, key: key) }
    }

    public func buildingVersions(codes: [String]) throws -> [RecordVersion] {
        try readers.with { try ProfileLedger.buildings(PGLedger($0), codes: codes) }
    }

    public func records(layer: String, atBuilding code: String, on day: String) throws -> [RecordVersion] {
        try readers.with { try ProfileLedger.atBuilding(PGLedger($0), layer: layer, code: code, on: day) }
    }

    public func householdMembers(_ household: String, on day: String) throws -> [RecordVersion] {
        try readers.with { try ProfileLedger.household(PGLedger($0), household, on: day) }
    }

    public func areaVersions(code: String) throws -> [RecordVersion] {
        try readers.with { try ProfileLedger.areas(PGLedger($0), code: code) }
    }
}
