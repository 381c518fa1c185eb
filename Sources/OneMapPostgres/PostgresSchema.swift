import OneMapStore

/// The OneMap schema in PostgreSQL/PostGIS: schema `onemap` (names inside it are never
/// qualified, so a database built aside under another schema name is renamed into place), versioned migrations recorded in
/// `onemap.schema_version`, applied in one transaction under an advisory lock (two processes
/// opening a new database at once do not both migrate).
///
/// Made for size: geometry is `geometry(…, 4490)` with GiST indexes; people and businesses are
/// hash-partitioned by building code (every query of them goes through buildings — the centroid
/// rule, counts per building — so a building's residents sit in one partition, and a city's
/// worth spreads evenly without partitions to manage); the audit log and change extents are
/// range-partitioned by sequence number (ten million per partition, made as the sequence reaches
/// them), so old ranges are archived and dropped whole. Ids are given by the store (the next
/// after the largest, under the data-write lock), as SQLite gives row ids, so the same data has
/// the same feature ids on both backends. Days stay ISO text, as in SpatiaLite, so comparisons and
/// answers are the same on both backends; valid time is guarded by exclusion constraints over
/// `days(valid_from, valid_to)` where the table is not partitioned (PostgreSQL 15 has no
/// exclusion constraints on partitioned tables), by a trigger on businesses, and for people by
/// the import logic (as in SpatiaLite: a check per row would cost the bulk load its speed).
enum PostgresSchema {
    /// Rows per partition of the audit log and change extents.
    static let sequencePartitionSize: Int64 = 10_000_000

    static let migrations: [[String]] = [
        // 1: the whole model as SpatiaLite's sixth version has it.
        [
            "CREATE EXTENSION IF NOT EXISTS postgis SCHEMA public",
            "CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public",
            // [from, to) as a date range; NULL ends are open. Immutable (text::date is not: it reads DateStyle).
            """
            CREATE FUNCTION days(from_day text, to_day text) RETURNS daterange LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
              SELECT daterange(
                CASE WHEN from_day IS NULL THEN NULL ELSE make_date(substr(from_day, 1, 4)::int, substr(from_day, 6, 2)::int, substr(from_day, 9, 2)::int) END,
                CASE WHEN to_day IS NULL THEN NULL ELSE make_date(substr(to_day, 1, 4)::int, substr(to_day, 6, 2)::int, substr(to_day, 9, 2)::int) END,
                '[)')
            $$
            """,
            "CREATE TABLE departments (code text PRIMARY KEY, name text NOT NULL, role text NOT NULL DEFAULT 'department' CHECK (role IN ('department','administrator')))",
            """
            CREATE TABLE layers (
              ord bigint GENERATED ALWAYS AS IDENTITY,
              id text PRIMARY KEY, title text NOT NULL, description text NOT NULL,
              geometry_type text NOT NULL, fields_json text NOT NULL,
              owner_department text NOT NULL REFERENCES departments(code),
              share_class text NOT NULL CHECK (share_class IN ('unconditional','conditional','not_shared')),
              min_zoom integer NOT NULL, max_zoom integer NOT NULL, updated_at text NOT NULL,
              open integer NOT NULL DEFAULT 0)
            """,
            """
            CREATE TABLE admin_areas (
              id bigint PRIMARY KEY, code text NOT NULL,
              level text NOT NULL CHECK (level IN ('city','county','township','village','grid')),
              parent_code text, name text NOT NULL, population bigint NOT NULL DEFAULT 0,
              label_x double precision, label_y double precision,
              valid_from text, valid_to text, synthetic integer NOT NULL DEFAULT 0,
              geom geometry(MultiPolygon, 4490) NOT NULL,
              CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_from < valid_to),
              CONSTRAINT admin_areas_versions_disjoint EXCLUDE USING gist (code WITH =, days(valid_from, valid_to) WITH &&))
            """,
            "CREATE INDEX admin_areas_code ON admin_areas(code)",
            "CREATE INDEX admin_areas_geom ON admin_areas USING gist (geom)",
            """
            CREATE TABLE buildings (
              id bigint PRIMARY KEY, entity_code text NOT NULL,
              valid_from text NOT NULL, valid_to text,
              floors integer NOT NULL, use text NOT NULL, built_date text NOT NULL, demolished_date text,
              cx double precision NOT NULL, cy double precision NOT NULL,
              township_code text, population bigint NOT NULL DEFAULT 0, businesses bigint NOT NULL DEFAULT 0,
              geom geometry(Polygon, 4490) NOT NULL,
              UNIQUE (entity_code, valid_from),
              CHECK (valid_to IS NULL OR valid_from < valid_to),
              CONSTRAINT buildings_versions_disjoint EXCLUDE USING gist (entity_code WITH =, days(valid_from, valid_to) WITH &&))
            """,
            "CREATE INDEX buildings_geom ON buildings USING gist (geom)",
            "CREATE INDEX buildings_valid_from ON buildings(valid_from)",
            "CREATE INDEX buildings_valid_to ON buildings(valid_to)",
            """
            CREATE TABLE population (
              id bigint NOT NULL, person_key text, building_code text NOT NULL,
              sex text NOT NULL CHECK (sex IN ('M','F')), birth_year integer NOT NULL, household_id text NOT NULL,
              registration text NOT NULL CHECK (registration IN ('户籍','流动')),
              moved_in text NOT NULL, moved_out text, masked_identity text NOT NULL,
              valid_from text, valid_to text,
              PRIMARY KEY (building_code, id)) PARTITION BY HASH (building_code)
            """,
        ] + hashPartitions("population") + [
            """
            CREATE TABLE businesses (
              id bigint NOT NULL, credit_code text NOT NULL CHECK (length(credit_code) = 18),
              name text NOT NULL, industry text NOT NULL, employees integer NOT NULL,
              registered text NOT NULL, cancelled text, building_code text NOT NULL,
              valid_from text NOT NULL, valid_to text,
              PRIMARY KEY (building_code, id)) PARTITION BY HASH (building_code)
            """,
        ] + hashPartitions("businesses") + [
            """
            CREATE FUNCTION businesses_versions_disjoint() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF EXISTS (SELECT 1 FROM businesses o WHERE o.credit_code = NEW.credit_code AND o.id <> NEW.id
                         AND days(o.valid_from, o.valid_to) && days(NEW.valid_from, NEW.valid_to)) THEN
                RAISE EXCEPTION 'business version overlaps another version of the same credit code' USING ERRCODE = '23P01';
              END IF;
              RETURN NEW;
            END $$
            """,
            "CREATE TRIGGER businesses_versions_disjoint BEFORE INSERT OR UPDATE OF valid_from, valid_to, credit_code ON businesses FOR EACH ROW EXECUTE FUNCTION businesses_versions_disjoint()",
            "CREATE TABLE building_areas (area_id bigint NOT NULL, building_id bigint NOT NULL, PRIMARY KEY (area_id, building_id))",
            "CREATE TABLE derived_state (key text PRIMARY KEY, value text)",
            """
            CREATE TABLE api_keys (
              id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, department text NOT NULL REFERENCES departments(code),
              key_hash text NOT NULL UNIQUE, prefix text NOT NULL, label text NOT NULL DEFAULT '',
              created_at text NOT NULL, expires_at text, revoked_at text)
            """,
            """
            CREATE TABLE applications (
              id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, department text NOT NULL REFERENCES departments(code),
              layer text NOT NULL REFERENCES layers(id), fields_json text NOT NULL, purpose text NOT NULL,
              area_codes text, area_wkb bytea, valid_from text NOT NULL, valid_to text NOT NULL,
              status text NOT NULL CHECK (status IN ('pending','approved','rejected','revoked')),
              submitted_at text NOT NULL, decided_by text, decided_at text, decision_note text,
              CHECK (valid_from < valid_to))
            """,
            "CREATE INDEX applications_department ON applications(department, status)",
            """
            CREATE TABLE audit_log (
              seq bigint NOT NULL PRIMARY KEY, at text NOT NULL, principal text NOT NULL, action text NOT NULL,
              endpoint text NOT NULL, layer text, grant_id bigint, purpose text, area text, datetime text,
              rows bigint, client text, outcome text NOT NULL, prev_hash text NOT NULL, hash text NOT NULL, count bigint)
              PARTITION BY RANGE (seq)
            """,
            "CREATE INDEX audit_log_principal ON audit_log(principal, seq)",
            """
            CREATE TABLE audit_checkpoints (
              id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, kind text NOT NULL CHECK (kind IN ('archive','head')),
              first_seq bigint NOT NULL, last_seq bigint NOT NULL, first_prev_hash text NOT NULL, last_hash text NOT NULL,
              records bigint NOT NULL, signed_at text NOT NULL, archive text, key_id text NOT NULL, signature text NOT NULL)
            """,
            """
            CREATE TABLE change_extents (
              seq bigint NOT NULL PRIMARY KEY, layer text NOT NULL, from_day text,
              min_x double precision, min_y double precision, max_x double precision, max_y double precision)
              PARTITION BY RANGE (seq)
            """,
            "CREATE TABLE statistics_row_changes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tbl text NOT NULL, row_id bigint NOT NULL)",
            // Which person and business rows changed, for the in-memory statistics engine ('*': a
            // building or area changed; 'reset': a change it cannot follow row by row).
            """
            CREATE FUNCTION log_row_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              INSERT INTO statistics_row_changes(tbl, row_id) VALUES (TG_ARGV[0], CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
              RETURN NULL;
            END $$
            """,
        ] + rowChangeTriggers + ["INSERT INTO statistics_row_changes(tbl, row_id) VALUES ('reset', 0)"],
        // 2: versions kept disjoint by statement-level triggers instead of GiST exclusion
        // constraints (see `disjointVersions`), in the core tables and in every department layer.
        [
            "ALTER TABLE admin_areas DROP CONSTRAINT admin_areas_versions_disjoint",
            "ALTER TABLE buildings DROP CONSTRAINT buildings_versions_disjoint",
            "DROP TRIGGER businesses_versions_disjoint ON businesses",
            "DROP FUNCTION businesses_versions_disjoint()",
        ] + disjointVersions(table: "admin_areas", key: "code", id: "id")
          + disjointVersions(table: "buildings", key: "entity_code", id: "id")
          + disjointVersions(table: "businesses", key: "credit_code", id: "id") + [
            // Department layers made under version 1 (their ids are plain identifiers).
            """
            DO $do$
            DECLARE t text;
            BEGIN
              FOR t IN SELECT 'layer_' || id FROM layers WHERE to_regclass('layer_' || id) IS NOT NULL LOOP
                EXECUTE format('ALTER TABLE %I DROP CONSTRAINT IF EXISTS %I', t, t || '_versions_disjoint');
                EXECUTE format($f$
                  CREATE OR REPLACE FUNCTION %1$I() RETURNS trigger LANGUAGE plpgsql AS $b$
                  DECLARE clash text;
                  BEGIN
                    SELECT a.entity_key INTO clash FROM added a JOIN %2$I o ON o.entity_key = a.entity_key AND o.fid <> a.fid
                      AND days(a.valid_from, a.valid_to) && days(o.valid_from, o.valid_to) LIMIT 1;
                    IF FOUND THEN
                      RAISE EXCEPTION 'versions of %% overlap in %2$s', clash USING ERRCODE = '23P01';
                    END IF;
                    RETURN NULL;
                  END $b$ $f$, t || '_versions_disjoint', t);
                EXECUTE format('CREATE TRIGGER %1$I AFTER INSERT ON %2$I REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION %3$I()',
                               t || '_versions_disjoint_insert', t, t || '_versions_disjoint');
                EXECUTE format('CREATE TRIGGER %1$I AFTER UPDATE ON %2$I REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION %3$I()',
                               t || '_versions_disjoint_update', t, t || '_versions_disjoint');
              END LOOP;
            END $do$
            """,
        ],
        // 3: problem reports and their history (the correction loop, 纠错).
        ProblemLedger.schema(.postgres),
        // 4: owners' promised update intervals (supply and freshness reports).
        SupplyLedger.schema,
        // 5: departments' webhooks for problem events.
        WebhookLedger.schema,
        // 6: what a grant covers beyond its records (profiles: 一人一档、一企一档).
        ["ALTER TABLE applications ADD COLUMN uses text NOT NULL DEFAULT ''"],
        // 7: self-service: identity links (keyed hashes only), single-use sign-in tokens, sessions.
        IdentityLedger.schema,
    ]

    /// No two versions of one entity overlap in time: after each statement that wrote rows, the
    /// rows it wrote (a transition table) are joined with the table on the key's btree index.
    /// A GiST exclusion constraint on (text key, date range) says the same, but building it over
    /// 200,000 rows takes 13 s on this machine and keeping it up through a COPY as long; the join
    /// takes milliseconds. Writers hold the data-write lock, so no concurrent statement can slip
    /// an overlapping version past the check. The error is an exclusion violation (23P01), as
    /// the constraint's was. `key`, `id`: the entity key and row id columns.
    static func disjointVersions(table: String, key: String, id: String) -> [String] {
        let function = "\(table)_versions_disjoint"
        return [
            """
            CREATE OR REPLACE FUNCTION \(function)() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE clash text;
            BEGIN
              SELECT a.\(key) INTO clash FROM added a JOIN \(table) o ON o.\(key) = a.\(key) AND o.\(id) <> a.\(id)
                AND days(a.valid_from, a.valid_to) && days(o.valid_from, o.valid_to) LIMIT 1;
              IF FOUND THEN
                RAISE EXCEPTION 'versions of % overlap in \(table)', clash USING ERRCODE = '23P01';
              END IF;
              RETURN NULL;
            END $$
            """,
            "CREATE TRIGGER \(function)_insert AFTER INSERT ON \(table) REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION \(function)()",
            "CREATE TRIGGER \(function)_update AFTER UPDATE ON \(table) REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION \(function)()",
        ]
    }

    /// The triggers that fill `statistics_row_changes`, as in SpatiaLite: buildings and areas log
    /// only changes of what statistics read.
    static let rowChangeTriggers: [String] = {
        var out: [String] = []
        for (table, tag, watchedColumns) in StatisticsRowLog.watched {
            let columns = watchedColumns.isEmpty ? "" : " OF " + watchedColumns.joined(separator: ", ")
            out.append("CREATE TRIGGER \(table)_row_insert AFTER INSERT ON \(table) FOR EACH ROW EXECUTE FUNCTION log_row_change('\(tag)')")
            out.append("CREATE TRIGGER \(table)_row_update AFTER UPDATE\(columns) ON \(table) FOR EACH ROW EXECUTE FUNCTION log_row_change('\(tag)')")
            out.append("CREATE TRIGGER \(table)_row_delete AFTER DELETE ON \(table) FOR EACH ROW EXECUTE FUNCTION log_row_change('\(tag)')")
        }
        return out
    }()

    static var version: Int { migrations.count }

    /// Advisory lock key of migrations ("onemapmi").
    static let migrationLock: Int64 = 0x6F6E_6D61_706D_6967

    /// Partitions of a table hashed on its building code.
    static let hashPartitionCount = 16
    static func hashPartitions(_ table: String) -> [String] {
        (0..<hashPartitionCount).map {
            "CREATE TABLE \(table)_\($0) PARTITION OF \(table) FOR VALUES WITH (MODULUS \(hashPartitionCount), REMAINDER \($0))"
        }
    }

    /// Indexes built after a bulk load (building them first would slow every row).
    static let postLoadIndexes = [
        "CREATE INDEX IF NOT EXISTS population_key ON population(person_key, valid_from)",
        "CREATE INDEX IF NOT EXISTS businesses_key ON businesses(credit_code, valid_from)",
        "CREATE INDEX IF NOT EXISTS population_id ON population(id)",
        // Households for profiles and relation graphs.
        "CREATE INDEX IF NOT EXISTS population_household ON population(household_id)",
        "CREATE INDEX IF NOT EXISTS businesses_id ON businesses(id)",
    ]

    /// Text columns of a new table compare and sort byte by byte (`COLLATE "C"`), as SQLite's
    /// do, whatever the database's locale: filters, sort orders and pages agree on both backends.
    static func collated(_ sql: String) -> String {
        guard sql.hasPrefix("CREATE TABLE"), !sql.contains("PARTITION OF") else { return sql }
        var out = "", rest = Substring(sql)
        while let r = rest.range(of: " text") {
            out += rest[..<r.upperBound]
            rest = rest[r.upperBound...]
            let before = out.dropLast(5).last
            if let next = rest.first, [" ", ",", ")", "\n"].contains(next), let before, before.isLetter || before == "_" {
                out += " COLLATE \"C\""
            }
        }
        return out + rest
    }

    /// Brings the database to this build's version: creates the schema in an empty database,
    /// applies missing migrations to an older one, and refuses a newer one (naming both versions).
    static func migrate(_ c: PGConnection, schema: String = "onemap") throws {
        try c.transaction {
            // One migrator at a time per database (the key: "onemap" as a number).
            try c.query("SELECT pg_advisory_xact_lock($1)", [.int(migrationLock)])
            try c.exec("CREATE SCHEMA IF NOT EXISTS \(schema)")
            try c.exec("CREATE TABLE IF NOT EXISTS \(schema).schema_version (version integer NOT NULL)")
            let found = try c.query("SELECT max(version) FROM \(schema).schema_version")
            let current = found.rows > 0 && !found.row(0).isNull(0) ? Int(found.row(0).int(0)) : 0
            if current > version {
                throw StoreError("\(c.location) holds OneMap schema version \(current); this onemap expects version \(version) (upgrade onemap)", kind: .invalid)
            }
            guard current < version else { return }
            for (i, steps) in migrations.enumerated() where i >= current {
                for sql in steps { try c.exec(collated(sql)) }
            }
            try c.exec("DELETE FROM \(schema).schema_version")
            try c.query("INSERT INTO \(schema).schema_version(version) VALUES ($1)", [.int(Int64(version))])
        }
    }
}
