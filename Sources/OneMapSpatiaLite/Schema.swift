import OneMapStore
import Foundation

/// Schema migrations, applied in order; `PRAGMA user_version` records the last one applied.
enum Schema {
    static let migrations: [[String]] = [
        // 1: catalog and the core tables of the one map (geometry EPSG:4490).
        [
            // 0: already inside the migration transaction. 'NONE': an empty spatial_ref_sys, then
            // only the systems OneMap stores or is asked for (the full EPSG list is ~6,000 rows:
            // a tenth of a second and megabytes in every new database).
            "SELECT InitSpatialMetadata(0, 'NONE')",
            "SELECT InsertEpsgSrid(4490), InsertEpsgSrid(4326), InsertEpsgSrid(3857), InsertEpsgSrid(4548), InsertEpsgSrid(4549), InsertEpsgSrid(4527)",
            """
            CREATE TABLE departments (code TEXT PRIMARY KEY, name TEXT NOT NULL)
            """,
            """
            CREATE TABLE layers (
              id TEXT PRIMARY KEY, title TEXT NOT NULL, description TEXT NOT NULL,
              geometry_type TEXT NOT NULL, fields_json TEXT NOT NULL,
              owner_department TEXT NOT NULL REFERENCES departments(code),
              share_class TEXT NOT NULL CHECK (share_class IN ('unconditional','conditional','not_shared')),
              min_zoom INTEGER NOT NULL, max_zoom INTEGER NOT NULL,
              updated_at TEXT NOT NULL)
            """,
            """
            CREATE TABLE admin_areas (
              id INTEGER PRIMARY KEY, code TEXT NOT NULL,
              level TEXT NOT NULL CHECK (level IN ('city','county','township','village','grid')),
              parent_code TEXT, name TEXT NOT NULL, population INTEGER NOT NULL DEFAULT 0,
              label_x REAL, label_y REAL,
              valid_from TEXT, valid_to TEXT, synthetic INTEGER NOT NULL DEFAULT 0,
              CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_from < valid_to))
            """,
            "SELECT AddGeometryColumn('admin_areas', 'geom', 4490, 'MULTIPOLYGON', 'XY', 1)",
            "CREATE INDEX admin_areas_code ON admin_areas(code)",
            """
            CREATE TRIGGER admin_areas_versions_disjoint_insert BEFORE INSERT ON admin_areas
            WHEN EXISTS (SELECT 1 FROM admin_areas o WHERE o.code = NEW.code
                         AND (o.valid_to IS NULL OR NEW.valid_from IS NULL OR o.valid_to > NEW.valid_from)
                         AND (NEW.valid_to IS NULL OR o.valid_from IS NULL OR NEW.valid_to > o.valid_from))
            BEGIN SELECT RAISE(ABORT, 'administrative area version overlaps another version of the same code'); END
            """,
            """
            CREATE TABLE buildings (
              id INTEGER PRIMARY KEY, entity_code TEXT NOT NULL,
              valid_from TEXT NOT NULL, valid_to TEXT,
              floors INTEGER NOT NULL, use TEXT NOT NULL, built_date TEXT NOT NULL, demolished_date TEXT,
              cx REAL NOT NULL, cy REAL NOT NULL,
              township_code TEXT, population INTEGER NOT NULL DEFAULT 0, businesses INTEGER NOT NULL DEFAULT 0,
              UNIQUE (entity_code, valid_from),
              CHECK (valid_to IS NULL OR valid_from < valid_to))
            """,
            // Versions of one entity never overlap: checked on every insert and every change of validity.
            """
            CREATE TRIGGER buildings_versions_disjoint_insert BEFORE INSERT ON buildings
            WHEN EXISTS (SELECT 1 FROM buildings o WHERE o.entity_code = NEW.entity_code
                         AND (o.valid_to IS NULL OR o.valid_to > NEW.valid_from) AND (NEW.valid_to IS NULL OR NEW.valid_to > o.valid_from))
            BEGIN SELECT RAISE(ABORT, 'building version overlaps another version of the same entity'); END
            """,
            """
            CREATE TRIGGER buildings_versions_disjoint_update BEFORE UPDATE OF valid_from, valid_to, entity_code ON buildings
            WHEN EXISTS (SELECT 1 FROM buildings o WHERE o.entity_code = NEW.entity_code AND o.id <> NEW.id
                         AND (o.valid_to IS NULL OR o.valid_to > NEW.valid_from) AND (NEW.valid_to IS NULL OR NEW.valid_to > o.valid_from))
            BEGIN SELECT RAISE(ABORT, 'building version overlaps another version of the same entity'); END
            """,
            "SELECT AddGeometryColumn('buildings', 'geom', 4490, 'POLYGON', 'XY', 1)",
            """
            CREATE TABLE population (
              id INTEGER PRIMARY KEY, building_code TEXT NOT NULL, sex TEXT NOT NULL CHECK (sex IN ('M','F')),
              birth_year INTEGER NOT NULL, household_id TEXT NOT NULL,
              registration TEXT NOT NULL CHECK (registration IN ('户籍','流动')),
              moved_in TEXT NOT NULL, moved_out TEXT, masked_identity TEXT NOT NULL)
            """,
            """
            CREATE TABLE businesses (
              id INTEGER PRIMARY KEY, credit_code TEXT NOT NULL UNIQUE CHECK (length(credit_code) = 18),
              name TEXT NOT NULL, industry TEXT NOT NULL, employees INTEGER NOT NULL,
              registered TEXT NOT NULL, cancelled TEXT, building_code TEXT NOT NULL)
            """,
            // Which area versions each building's centroid lies in (the centroid rule), for counting
            // people per area on any day without point-in-polygon work at query time.
            "CREATE TABLE building_areas (area_id INTEGER NOT NULL, building_id INTEGER NOT NULL, PRIMARY KEY (area_id, building_id)) WITHOUT ROWID",
            // Facts about derived data, e.g. the days for which the stored counts hold.
            "CREATE TABLE derived_state (key TEXT PRIMARY KEY, value TEXT)",
        ],
        // 2: person and business records become versions: a key, and a validity [valid_from,
        // valid_to) that counts use (moves and changes close one version and open the next), kept
        // apart from the facts moved_in/moved_out and registered/cancelled. Existing rows: one
        // version spanning the facts.
        [
            "ALTER TABLE population ADD COLUMN person_key TEXT",
            "ALTER TABLE population ADD COLUMN valid_from TEXT",
            "ALTER TABLE population ADD COLUMN valid_to TEXT",
            "UPDATE population SET valid_from = moved_in, valid_to = moved_out",
            """
            CREATE TABLE businesses_v2 (
              id INTEGER PRIMARY KEY, credit_code TEXT NOT NULL CHECK (length(credit_code) = 18),
              name TEXT NOT NULL, industry TEXT NOT NULL, employees INTEGER NOT NULL,
              registered TEXT NOT NULL, cancelled TEXT, building_code TEXT NOT NULL,
              valid_from TEXT NOT NULL, valid_to TEXT,
              UNIQUE (credit_code, valid_from))
            """,
            """
            INSERT INTO businesses_v2(id, credit_code, name, industry, employees, registered, cancelled, building_code, valid_from, valid_to)
            SELECT id, credit_code, name, industry, employees, registered, cancelled, building_code, registered, cancelled FROM businesses
            """,
            "DROP TABLE businesses",
            "ALTER TABLE businesses_v2 RENAME TO businesses",
            // Versions of one business never overlap (people: the import logic, tested, keeps it so;
            // a trigger on 2.5 million demo rows would cost the bulk load its speed).
            """
            CREATE TRIGGER businesses_versions_disjoint_insert BEFORE INSERT ON businesses
            WHEN EXISTS (SELECT 1 FROM businesses o WHERE o.credit_code = NEW.credit_code
                         AND (o.valid_to IS NULL OR o.valid_to > NEW.valid_from) AND (NEW.valid_to IS NULL OR NEW.valid_to > o.valid_from))
            BEGIN SELECT RAISE(ABORT, 'business version overlaps another version of the same credit code'); END
            """,
        ],
        // 3: governance. Departments get a role (the data center administers); layers say whether
        // anonymous callers may read them; API keys (hashes only), applications for conditional
        // data (grants once approved) and the hash-chained audit log.
        [
            "ALTER TABLE departments ADD COLUMN role TEXT NOT NULL DEFAULT 'department' CHECK (role IN ('department','administrator'))",
            "UPDATE departments SET role = 'administrator' WHERE code = 'SMDSJ'",
            "ALTER TABLE layers ADD COLUMN open INTEGER NOT NULL DEFAULT 0",
            "UPDATE layers SET open = 1 WHERE id IN ('admin_areas','admin_labels','buildings')",
            // Core layers' fields are rewritten from the code on open, keeping sensitivities an
            // administrator set since; before this version nobody could, so take the code's.
            "UPDATE layers SET fields_json = '[]' WHERE id IN ('admin_areas','admin_labels','buildings','population','businesses')",
            """
            CREATE TABLE api_keys (
              id INTEGER PRIMARY KEY, department TEXT NOT NULL REFERENCES departments(code),
              key_hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL, label TEXT NOT NULL DEFAULT '',
              created_at TEXT NOT NULL, expires_at TEXT, revoked_at TEXT)
            """,
            """
            CREATE TABLE applications (
              id INTEGER PRIMARY KEY, department TEXT NOT NULL REFERENCES departments(code),
              layer TEXT NOT NULL REFERENCES layers(id), fields_json TEXT NOT NULL, purpose TEXT NOT NULL,
              area_codes TEXT, area_wkb BLOB, valid_from TEXT NOT NULL, valid_to TEXT NOT NULL,
              status TEXT NOT NULL CHECK (status IN ('pending','approved','rejected','revoked')),
              submitted_at TEXT NOT NULL, decided_by TEXT, decided_at TEXT, decision_note TEXT,
              CHECK (valid_from < valid_to))
            """,
            "CREATE INDEX applications_department ON applications(department, status)",
            """
            CREATE TABLE audit_log (
              seq INTEGER PRIMARY KEY, at TEXT NOT NULL, principal TEXT NOT NULL, action TEXT NOT NULL,
              endpoint TEXT NOT NULL, layer TEXT, grant_id INTEGER, purpose TEXT, area TEXT, datetime TEXT,
              rows INTEGER, client TEXT, outcome TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)
            """,
            "CREATE INDEX audit_log_principal ON audit_log(principal, seq)",
        ],
        // 4: where and from when each change applies, per layer, written in the change's own
        // transaction: caches drop exactly what a change touches, in this process or another.
        [
            """
            CREATE TABLE change_extents (
              seq INTEGER PRIMARY KEY, layer TEXT NOT NULL, from_day TEXT,
              min_x REAL, min_y REAL, max_x REAL, max_y REAL)
            """,
        ],
        // 5: which person and business rows changed, for the in-memory statistics engine to apply
        // without reading everything again; '*' marks a change of buildings or areas (it reads those
        // again), 'reset' one it cannot follow row by row (a bulk load: it builds anew). Older data:
        // one 'reset', so any engine builds once.
        [
            "CREATE TABLE statistics_row_changes (id INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, row_id INTEGER NOT NULL)",
        ] + rowChangeTriggers + ["INSERT INTO statistics_row_changes(tbl, row_id) VALUES ('reset', 0)"],
        // 6: an audit record may stand for many tile reads of one caller, layer and minute (count);
        // signed checkpoints close the chain where it was archived (or at any head).
        [
            "ALTER TABLE audit_log ADD COLUMN count INTEGER",
            """
            CREATE TABLE audit_checkpoints (
              id INTEGER PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('archive','head')),
              first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, first_prev_hash TEXT NOT NULL, last_hash TEXT NOT NULL,
              records INTEGER NOT NULL, signed_at TEXT NOT NULL, archive TEXT, key_id TEXT NOT NULL, signature TEXT NOT NULL)
            """,
        ],
        // 7: problem reports and their history (the correction loop, 纠错).
        ProblemLedger.schema(.sqlite),
        // 8: owners' promised update intervals (supply and freshness reports).
        SupplyLedger.schema,
        // 9: departments' webhooks for problem events.
        WebhookLedger.schema,
        // 10: what a grant covers beyond its records (profiles: 一人一档、一企一档).
        ["ALTER TABLE applications ADD COLUMN uses TEXT NOT NULL DEFAULT ''"],
        // 11: self-service: identity links (keyed hashes only), single-use sign-in tokens, sessions.
        IdentityLedger.schema,
    ]

    /// The triggers that fill `statistics_row_changes`. Buildings and areas log only changes of what
    /// statistics read (not the counts stored on them, which every record import refreshes);
    /// memberships follow from buildings' and areas' geometries, so they need no trigger.
    static let rowChangeTriggerNames = StatisticsRowLog.watched.flatMap { w in ["insert", "update", "delete"].map { "\(w.table)_row_\($0)" } }
    static let rowChangeTriggers: [String] = {
        var out: [String] = []
        for (table, tag, watchedColumns) in StatisticsRowLog.watched {
            let columns = watchedColumns.isEmpty ? "" : " OF " + watchedColumns.joined(separator: ", ")
            out.append("CREATE TRIGGER \(table)_row_insert AFTER INSERT ON \(table) BEGIN INSERT INTO statistics_row_changes(tbl, row_id) VALUES ('\(tag)', NEW.id); END")
            out.append("CREATE TRIGGER \(table)_row_update AFTER UPDATE\(columns) ON \(table) BEGIN INSERT INTO statistics_row_changes(tbl, row_id) VALUES ('\(tag)', NEW.id); END")
            out.append("CREATE TRIGGER \(table)_row_delete AFTER DELETE ON \(table) BEGIN INSERT INTO statistics_row_changes(tbl, row_id) VALUES ('\(tag)', OLD.id); END")
        }
        return out
    }()

    /// Rows of the change log kept: an engine further behind builds anew.
    static let rowChangesKept = 2_000_000

    /// Indexes built after a bulk load (building them first would slow every insert).
    static let postLoadIndexes = [
        "CREATE INDEX IF NOT EXISTS population_building ON population(building_code)",
        "CREATE INDEX IF NOT EXISTS population_key ON population(person_key, valid_from)",
        // Households for profiles and relation graphs.
        "CREATE INDEX IF NOT EXISTS population_household ON population(household_id)",
        "CREATE INDEX IF NOT EXISTS businesses_building ON businesses(building_code)",
        "CREATE INDEX IF NOT EXISTS buildings_valid_from ON buildings(valid_from)",
        "CREATE INDEX IF NOT EXISTS buildings_valid_to ON buildings(valid_to)",
    ]

    static func migrate(_ c: SQLiteConnection) throws {
        let current = Int(try c.scalarInt("PRAGMA user_version") ?? 0)
        if current > migrations.count {
            throw StoreError("\(c.path) holds OneMap schema version \(current); this onemap expects version \(migrations.count) (upgrade onemap)")
        }
        guard current < migrations.count else { return }
        try c.transaction {
            for (i, steps) in migrations.enumerated() where i >= current {
                for sql in steps { try c.exec(sql) }
            }
            try c.exec("PRAGMA user_version = \(migrations.count)")
        }
    }
}
