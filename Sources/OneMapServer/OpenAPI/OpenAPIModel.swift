/// The parts of an OpenAPI 3.0 document that `/api` uses, as types: a misspelt key or a
/// constraint of the wrong kind is a compile error rather than a document clients misread.
/// (OpenAPIKit covers the whole specification; this covers what OneMap declares, in 200 lines.)
enum OpenAPI {
    /// A literal in `enum`, `default` or `example`.
    enum Value: Encodable, Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
        case string(String), integer(Int), number(Double), bool(Bool)

        init(stringLiteral value: String) { self = .string(value) }
        init(integerLiteral value: Int) { self = .integer(value) }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .string(let s): try c.encode(s)
            case .integer(let i): try c.encode(i)
            case .number(let d): try c.encode(d)
            case .bool(let b): try c.encode(b)
            }
        }
    }

    enum SchemaType: String, Encodable, Sendable { case string, integer, number, boolean, array, object }

    /// A schema object (OpenAPI 3.0's JSON Schema subset, with `nullable`).
    struct Schema: Encodable, Sendable {
        var ref: String?
        var type: SchemaType?
        var format: String?
        var description: String?
        var enumeration: [Value]?
        var pattern: String?
        var minLength: Int?
        var maxLength: Int?
        var minimum: Value?
        var maximum: Value?
        var exclusiveMinimum: Bool?
        var minItems: Int?
        var maxItems: Int?
        var required: [String]?
        var properties: [String: Schema]?
        var nullable: Bool?
        var defaultValue: Value?
        // Recursive members live in arrays (a struct cannot hold itself directly).
        private var itemsBox: [Schema]?
        private var additionalBox: [Schema]?
        var additionalPropertiesAllowed: Bool?
        var oneOf: [Schema]?
        var anyOf: [Schema]?

        var items: Schema? {
            get { itemsBox?.first }
            set { itemsBox = newValue.map { [$0] } }
        }
        /// A schema every other member's value follows (a map of names to values).
        var additionalProperties: Schema? {
            get { additionalBox?.first }
            set { additionalBox = newValue.map { [$0] } }
        }

        init(type: SchemaType? = nil, format: String? = nil, description: String? = nil) {
            self.type = type; self.format = format; self.description = description
        }

        enum CodingKeys: String, CodingKey {
            case ref = "$ref", type, format, description, enumeration = "enum", pattern, minLength, maxLength, minimum, maximum, exclusiveMinimum
            case minItems, maxItems, required, properties, nullable, defaultValue = "default", items, additionalProperties, oneOf, anyOf
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(ref, forKey: .ref)
            try c.encodeIfPresent(type, forKey: .type)
            try c.encodeIfPresent(format, forKey: .format)
            try c.encodeIfPresent(description, forKey: .description)
            try c.encodeIfPresent(enumeration, forKey: .enumeration)
            try c.encodeIfPresent(pattern, forKey: .pattern)
            try c.encodeIfPresent(minLength, forKey: .minLength)
            try c.encodeIfPresent(maxLength, forKey: .maxLength)
            try c.encodeIfPresent(minimum, forKey: .minimum)
            try c.encodeIfPresent(maximum, forKey: .maximum)
            try c.encodeIfPresent(exclusiveMinimum, forKey: .exclusiveMinimum)
            try c.encodeIfPresent(minItems, forKey: .minItems)
            try c.encodeIfPresent(maxItems, forKey: .maxItems)
            try c.encodeIfPresent(required, forKey: .required)
            try c.encodeIfPresent(properties, forKey: .properties)
            try c.encodeIfPresent(nullable, forKey: .nullable)
            try c.encodeIfPresent(defaultValue, forKey: .defaultValue)
            try c.encodeIfPresent(items, forKey: .items)
            if let additionalProperties { try c.encode(additionalProperties, forKey: .additionalProperties) }
            else if let additionalPropertiesAllowed { try c.encode(additionalPropertiesAllowed, forKey: .additionalProperties) }
            try c.encodeIfPresent(oneOf, forKey: .oneOf)
            try c.encodeIfPresent(anyOf, forKey: .anyOf)
        }

        // Builders for the common cases.
        static func ref(_ name: String) -> Schema { var s = Schema(); s.ref = "#/components/schemas/\(name)"; return s }
        static func string(_ description: String? = nil, format: String? = nil, pattern: String? = nil, minLength: Int? = nil,
                           maxLength: Int? = nil, oneOf values: [String]? = nil) -> Schema {
            var s = Schema(type: .string, format: format, description: description)
            s.pattern = pattern; s.minLength = minLength; s.maxLength = maxLength
            s.enumeration = values?.map { .string($0) }
            return s
        }
        static func integer(_ description: String? = nil, minimum: Int? = nil, maximum: Int? = nil, defaultValue: Int? = nil) -> Schema {
            var s = Schema(type: .integer, description: description)
            s.minimum = minimum.map { .integer($0) }; s.maximum = maximum.map { .integer($0) }; s.defaultValue = defaultValue.map { .integer($0) }
            return s
        }
        static func number(_ description: String? = nil, minimum: Double? = nil, maximum: Double? = nil, exclusiveMinimum: Bool? = nil) -> Schema {
            var s = Schema(type: .number, description: description)
            s.minimum = minimum.map { .number($0) }; s.maximum = maximum.map { .number($0) }; s.exclusiveMinimum = exclusiveMinimum
            return s
        }
        static var boolean: Schema { Schema(type: .boolean) }
        static func array(of items: Schema, minItems: Int? = nil, maxItems: Int? = nil, description: String? = nil) -> Schema {
            var s = Schema(type: .array, description: description)
            s.items = items; s.minItems = minItems; s.maxItems = maxItems
            return s
        }
        /// An object with these members; `required` lists those always present.
        static func object(_ properties: [String: Schema] = [:], required: [String] = [], description: String? = nil) -> Schema {
            var s = Schema(type: .object, description: description)
            s.properties = properties.isEmpty ? nil : properties
            s.required = required.isEmpty ? nil : required.sorted()
            return s
        }
        /// An object whose members are all of one schema (a table keyed by category).
        static func map(of values: Schema, description: String? = nil) -> Schema {
            var s = Schema(type: .object, description: description)
            s.additionalProperties = values
            return s
        }
        static func anyOf(_ schemas: [Schema], description: String? = nil) -> Schema {
            var s = Schema(description: description)
            s.anyOf = schemas
            return s
        }
        /// The same schema, also allowing null.
        var orNull: Schema { var s = self; s.nullable = true; return s }
        func withDefault(_ v: Value) -> Schema { var s = self; s.defaultValue = v; return s }
        func described(_ text: String) -> Schema { var s = self; s.description = text; return s }
    }

    enum Location: String, Encodable, Sendable { case query, path, header }

    struct Parameter: Encodable, Sendable {
        var name: String
        var location: Location
        var description: String
        var required: Bool
        var schema: Schema
        var style: String?
        var explode: Bool?
        var allowReserved: Bool?

        enum CodingKeys: String, CodingKey { case name, location = "in", description, required, schema, style, explode, allowReserved }
    }

    struct MediaType: Encodable, Sendable { var schema: Schema }

    struct Header: Encodable, Sendable { var description: String; var schema: Schema }

    struct Response: Encodable, Sendable {
        var description: String
        var headers: [String: Header]?
        var content: [String: MediaType]?
    }

    struct RequestBody: Encodable, Sendable {
        var description: String?
        var required: Bool
        var content: [String: MediaType]
    }

    struct Operation: Encodable, Sendable {
        var operationId: String
        var summary: String
        var tags: [String]
        var parameters: [Parameter]
        var requestBody: RequestBody?
        var responses: [String: Response]
        var security: [[String: [String]]]?
    }

    struct PathItem: Encodable, Sendable {
        var get: Operation?
        var put: Operation?
        var post: Operation?
        var delete: Operation?
        var patch: Operation?

        /// The operations with their methods, in the order a reader expects.
        var operations: [(method: String, operation: Operation)] {
            [("GET", get), ("POST", post), ("PUT", put), ("PATCH", patch), ("DELETE", delete)].compactMap { m, o in o.map { (m, $0) } }
        }
    }

    struct Info: Encodable, Sendable { var title: String; var version: String; var description: String }
    struct Server: Encodable, Sendable { var url: String }
    struct Tag: Encodable, Sendable { var name: String }

    struct SecurityScheme: Encodable, Sendable {
        var type: String
        var scheme: String?
        var name: String?
        var location: String?
        var description: String
        enum CodingKeys: String, CodingKey { case type, scheme, name, location = "in", description }
    }

    struct Components: Encodable, Sendable {
        var schemas: [String: Schema]
        var responses: [String: Response]
        var securitySchemes: [String: SecurityScheme]
    }

    struct Document: Encodable, Sendable {
        var openapi = "3.0.3"
        var info: Info
        var servers: [Server]
        var tags: [Tag]
        var security: [[String: [String]]]
        var paths: [String: PathItem]
        var components: Components
    }
}
