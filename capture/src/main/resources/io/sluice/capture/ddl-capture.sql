-- Sluice: DDL captured as it happened (docs/capture.md). Capture runs this itself when its role is a
-- superuser; otherwise run it once as one, in the captured database: psql -d DB -f ddl-capture.sql
CREATE SCHEMA IF NOT EXISTS sluice;
-- Every role's DDL runs the triggers, which run with their owner's rights; capture's role calls
-- sluice.read_message_key(), the one function here any role may call (it checks its caller itself).
GRANT USAGE ON SCHEMA sluice TO PUBLIC;
-- Every table's name as the triggers last saw it, so a DDL message can say what a renamed (or
-- moved) table was called: at ddl_command_end the catalog already holds the new name only.
-- Unlogged: its writes must not reach the WAL, or a FOR ALL TABLES publication would stream them.
-- With it, the names of its columns by number as the triggers last saw them (a dropped column keeps
-- its number), so a message can tell the columns an ALTER added (numbered past them) from those the
-- table had, and what a renamed column was called.
CREATE UNLOGGED TABLE IF NOT EXISTS sluice.table_name (relid oid PRIMARY KEY, nspname name NOT NULL, relname name NOT NULL);
ALTER TABLE sluice.table_name ADD COLUMN IF NOT EXISTS column_names name[];
-- And for a partition, the partitioned table at the top of its tree and the rows it holds (its
-- partition constraint), so that a message can say which rows left that table with it.
ALTER TABLE sluice.table_name ADD COLUMN IF NOT EXISTS partition_root oid, ADD COLUMN IF NOT EXISTS partition_rows text;
-- And whether its partition constraint tells its rows otherwise than by their values' bytes (sluice.collated_bounds).
ALTER TABLE sluice.table_name ADD COLUMN IF NOT EXISTS partition_collated boolean;
-- And whether it is logged (unlogged: in no publication), which a dropped table's message needs.
ALTER TABLE sluice.table_name ADD COLUMN IF NOT EXISTS logged boolean;
-- What a statement noted for the triggers that run after it in its transaction (a table's rewrite and
-- its reason; a partitioned table truncated whole), kept where no other role can write it: a setting
-- can be set by any role, and would let one keep a message from being written.
CREATE UNLOGGED TABLE IF NOT EXISTS sluice.marks (xact xid8 NOT NULL, mark text NOT NULL, value int NOT NULL,
                                                  PRIMARY KEY (xact, mark));
CREATE OR REPLACE FUNCTION sluice.set_mark(name text, v int) RETURNS void LANGUAGE sql
  SET search_path = pg_catalog, pg_temp AS $f$
  -- Those of ended transactions, but none another session is deleting: never wait for its transaction.
  DELETE FROM sluice.marks m USING (SELECT ctid FROM sluice.marks WHERE xact <> pg_current_xact_id()
                                      AND pg_xact_status(xact) IS DISTINCT FROM 'in progress' FOR UPDATE SKIP LOCKED) d
   WHERE m.ctid = d.ctid;
  INSERT INTO sluice.marks VALUES (pg_current_xact_id(), name, v) ON CONFLICT (xact, mark) DO UPDATE SET value = EXCLUDED.value;
$f$;
CREATE OR REPLACE FUNCTION sluice.mark(name text) RETURNS int LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp AS $f$
  SELECT coalesce((SELECT m.value FROM sluice.marks m WHERE m.xact = pg_current_xact_id_if_assigned() AND m.mark = name), 0)
$f$;
-- The key the triggers sign their messages with (HMAC-SHA256 of the prefix, a newline and the content):
-- any role may write a logical message (pg_logical_emit_message), so capture passes on only the
-- messages signed with this key (docs/capture.md). A materialized view, for it is written to the WAL —
-- kept through a crash, there on a promoted standby — yet in no publication, and only its owner reads it.
-- since: where signing began; an unsigned message before it was written by an earlier script.
CREATE MATERIALIZED VIEW IF NOT EXISTS sluice.message_key AS
  SELECT decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex') AS key,
         pg_current_wal_insert_lsn() AS since;
-- The key, for a role that may read the WAL (capture's: REPLICATION) and so reads every message anyway.
CREATE OR REPLACE FUNCTION sluice.read_message_key(OUT key bytea, OUT since pg_lsn) LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles r WHERE r.rolname = session_user AND (r.rolsuper OR r.rolreplication)) THEN
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
      MESSAGE = format('permission denied to read the key of Sluice''s messages: role %s has no REPLICATION', session_user);
  END IF;
  SELECT m.key, m.since INTO key, since FROM sluice.message_key m;
END $f$;
-- A transactional message, signed: the MAC in hex, a newline, the content.
CREATE OR REPLACE FUNCTION sluice.emit(prefix text, content text) RETURNS void LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp AS $f$
DECLARE k bytea; ipad bytea; opad bytea;
BEGIN
  SELECT m.key || decode(repeat('00', 64 - length(m.key)), 'hex') INTO k FROM sluice.message_key m;
  ipad := k;
  opad := k;
  FOR i IN 0 .. 63 LOOP
    ipad := set_byte(ipad, i, get_byte(k, i) # 54);
    opad := set_byte(opad, i, get_byte(k, i) # 92);
  END LOOP;
  PERFORM pg_logical_emit_message(true, prefix, encode(sha256(opad || sha256(ipad || convert_to(prefix || E'\n' || content, 'UTF8'))),
                                                       'hex') || E'\n' || content);
END $f$;
-- A drop message (FORMAT.md, "Dropped tables"): the followers of the publications named drop the table at this position.
CREATE OR REPLACE FUNCTION sluice.emit_drop(nsp name, rel name, publications json) RETURNS void LANGUAGE sql
  SET search_path = pg_catalog, pg_temp AS $f$
  SELECT sluice.emit('sluice.drop', json_build_object('table', json_build_array(nsp, rel), 'publications', publications)::text)
$f$;
-- A table's column names, the column numbered n at [n] (a dropped one under PostgreSQL's placeholder).
CREATE OR REPLACE FUNCTION sluice.column_names(rel oid) RETURNS name[] LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp AS $f$
  SELECT coalesce(array_agg(a.attname ORDER BY a.attnum), '{}') FROM pg_attribute a WHERE a.attrelid = rel AND a.attnum > 0
$f$;
-- The rows a partition holds, as its partition constraint ('true' for a default partition without
-- siblings, which has none); null for a table that is no partition, and for a hash partition, whose
-- constraint names its parent by oid and so cannot tell its rows anywhere else. Every name quoted: a
-- follower of another kind reads it with other keywords (DuckDB's "at").
CREATE OR REPLACE FUNCTION sluice.partition_rows(rel oid) RETURNS text LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp SET quote_all_identifiers = on AS $f$
  SELECT CASE WHEN NOT c.relispartition OR d.rows ~ 'satisfies_hash_partition' THEN NULL ELSE coalesce(d.rows, 'true') END
    FROM pg_class c CROSS JOIN LATERAL (SELECT pg_get_partition_constraintdef(c.oid) AS rows) d WHERE c.oid = rel
$f$;
-- Whether a partition's constraint tells its rows otherwise than by their values' bytes, as a follower that is not
-- PostgreSQL compares them (DuckDB): bounds of a range over text of a collation that does not sort by bytes, a
-- nondeterministic collation, an operator class an extension made (citext's, say) — in its own key or an ancestor's.
CREATE OR REPLACE FUNCTION sluice.collated_bounds(rel oid) RETURNS boolean LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp AS $f$
  SELECT EXISTS (
    SELECT FROM pg_partition_ancestors(rel) a(relid) JOIN pg_partitioned_table pt ON pt.partrelid = a.relid
      CROSS JOIN LATERAL unnest(pt.partcollation::oid[], pt.partclass::oid[]) k(coll, opc)
      LEFT JOIN pg_collation co ON co.oid = k.coll
      JOIN pg_database d ON d.datname = current_database()
      CROSS JOIN LATERAL (SELECT CASE WHEN co.collprovider = 'd' THEN coalesce(to_jsonb(d) ->> 'datlocprovider', 'c')
                                      ELSE co.collprovider::text END AS provider,
                                 CASE WHEN co.collprovider = 'd' THEN d.datcollate::text ELSE co.collcollate END AS locale) l
     WHERE k.opc >= 16384
        OR k.coll <> 0 AND (NOT co.collisdeterministic
                            OR pt.partstrat = 'r' AND NOT (l.provider = 'b' OR l.provider = 'c'
                                                           AND l.locale IN ('C', 'POSIX', 'C.UTF-8', 'C.utf8'))))
$f$;
CREATE OR REPLACE FUNCTION sluice.fill_names() RETURNS void LANGUAGE sql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $f$
  INSERT INTO sluice.table_name AS t (relid, nspname, relname, column_names, partition_root, partition_rows, partition_collated,
                                      logged)
  SELECT c.oid, n.nspname, c.relname, sluice.column_names(c.oid), CASE WHEN c.relispartition THEN pg_partition_root(c.oid) END,
         sluice.partition_rows(c.oid), CASE WHEN c.relispartition THEN sluice.collated_bounds(c.oid) END, c.relpersistence = 'p'
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
     AND n.nspname NOT LIKE 'pg\_%'
  ON CONFLICT (relid) DO UPDATE SET nspname = EXCLUDED.nspname, relname = EXCLUDED.relname,
                                    column_names = coalesce(t.column_names, EXCLUDED.column_names),
                                    partition_root = coalesce(t.partition_root, EXCLUDED.partition_root),
                                    partition_rows = coalesce(t.partition_rows, EXCLUDED.partition_rows),
                                    partition_collated = coalesce(t.partition_collated, EXCLUDED.partition_collated),
                                    logged = EXCLUDED.logged
   WHERE (t.nspname, t.relname) IS DISTINCT FROM (EXCLUDED.nspname, EXCLUDED.relname) OR t.column_names IS NULL
      OR t.partition_rows IS NULL AND EXCLUDED.partition_rows IS NOT NULL OR t.logged IS DISTINCT FROM EXCLUDED.logged
      OR t.partition_collated IS NULL AND EXCLUDED.partition_collated IS NOT NULL
$f$;
-- The table's column names as the triggers had seen them before this command (null when they had
-- not seen the table), and its own from now on.
CREATE OR REPLACE FUNCTION sluice.names_before(rel oid) RETURNS name[] LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $f$
DECLARE was name[];
BEGIN
  SELECT t.column_names INTO was FROM sluice.table_name t WHERE t.relid = rel FOR UPDATE;
  UPDATE sluice.table_name SET column_names = sluice.column_names(rel) WHERE relid = rel;
  RETURN was;
END $f$;
-- The tables that inherit from a table, its partitions among them, at every depth.
CREATE OR REPLACE FUNCTION sluice.inheritors(rel oid) RETURNS SETOF oid LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp AS $f$
  WITH RECURSIVE down(relid) AS (SELECT i.inhrelid FROM pg_inherits i WHERE i.inhparent = rel
                                 UNION SELECT i.inhrelid FROM down JOIN pg_inherits i ON i.inhparent = down.relid)
  SELECT relid FROM down
$f$;
-- A value's text (its type's output function's, format's %s) with COPY's escapes.
CREATE OR REPLACE FUNCTION sluice.copy_text(v text) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
  SELECT replace(replace(replace(replace(v, '\', '\\'), E'\n', '\n'), E'\r', '\r'), E'\t', '\t')
$f$;
-- The table a publication publishes a table's rows as: the table itself, or a partitioned table above it up to
-- top (publish_via_partition_root) — the nearest of them pg_publication_tables lists; null when it lists none
-- of them (the rows are not published, or are published through a table above top, which holds them already).
CREATE OR REPLACE FUNCTION sluice.published_as(rel oid, top oid, publication name) RETURNS oid LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp AS $f$
  SELECT x.relid
    FROM (SELECT rel AS relid, 1::bigint AS n UNION SELECT a.relid, a.n FROM pg_partition_ancestors(rel) WITH ORDINALITY a(relid, n)) x
    JOIN pg_class k ON k.oid = x.relid JOIN pg_namespace s ON s.oid = k.relnamespace
    JOIN pg_publication_tables pt ON pt.pubname = publication AND pt.schemaname = s.nspname AND pt.tablename = k.relname
   WHERE x.n <= coalesce((SELECT a.n FROM pg_partition_ancestors(rel) WITH ORDINALITY a(relid, n) WHERE a.relid = top), 1)
   ORDER BY x.n LIMIT 1
$f$;
-- What a publication publishes of a table (pg_publication_tables, PostgreSQL 15 and later): its row filter (WHERE, as
-- pg_get_expr prints it — columns, constants and built-in immutable functions only; null for none) and its columns
-- (all but generated ones, unless a column list names fewer). Before PostgreSQL 15: no filter, every column.
CREATE OR REPLACE FUNCTION sluice.published_rows(publication name, rel oid, OUT filter text, OUT columns name[])
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
  IF to_regclass('pg_catalog.pg_publication_namespace') IS NULL THEN
    SELECT array_agg(a.attname) INTO columns FROM pg_attribute a WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped;
    RETURN;
  END IF;
  EXECUTE $q$SELECT pt.rowfilter, pt.attnames FROM pg_publication_tables pt JOIN pg_class k ON k.oid = $2
               JOIN pg_namespace n ON n.oid = k.relnamespace
              WHERE pt.pubname = $1 AND pt.schemaname = n.nspname AND pt.tablename = k.relname$q$
    INTO filter, columns USING publication, rel;
END $f$;
-- Type names, expressions and constraints as capture's own session prints them — format_type names a
-- type without its schema where the search_path finds it — though the triggers run with pg_catalog
-- alone on theirs: each wraps one catalog function, called by its full name, under the search_path
-- this script was installed with (capture's: pg_catalog, public — whatever the database sets), so no
-- schema on that path can put a function of its own in its place.
CREATE OR REPLACE FUNCTION sluice.type_text(typ oid, mod int) RETURNS text LANGUAGE sql STABLE
  SET search_path FROM CURRENT AS $f$ SELECT pg_catalog.format_type(typ, mod) $f$;
CREATE OR REPLACE FUNCTION sluice.expr_text(expr pg_node_tree, rel oid) RETURNS text LANGUAGE sql STABLE
  SET search_path FROM CURRENT AS $f$ SELECT pg_catalog.pg_get_expr(expr, rel) $f$;
CREATE OR REPLACE FUNCTION sluice.check_text(con oid) RETURNS text LANGUAGE sql STABLE
  SET search_path FROM CURRENT AS $f$ SELECT pg_catalog.pg_get_constraintdef(con) $f$;
-- A table's shape as capture announces it, as a DDL message's JSON — its columns (pgoutput's: no generated one) with
-- their defaults and collations (where not their type's),
-- its generated columns with their expressions — and what a schema event adds: the replica identity (relreplident),
-- whether each column is in its key (the primary key's under DEFAULT and FULL, the identity index's under INDEX,
-- none under NOTHING), an enum's labels and which enum's — and the tables it inherits from (INHERITS; a partition's table is not one), in
-- PostgreSQL's order. A rows message of a table taken into a publication carries it as the table
-- was then; capture runs the same query (the function's body) for its own catalog reads.
CREATE OR REPLACE FUNCTION sluice.table_shape(rel oid) RETURNS json LANGUAGE sql STABLE AS $shape$
SELECT json_build_object('table', json_build_array(n.nspname, c.relname), 'identity', c.relreplident,
         'columns', (SELECT json_agg(json_build_object('name', a.attname, 'type', sluice.type_text(a.atttypid, a.atttypmod),
                                       'nullable', NOT a.attnotnull,
                                       'default', (SELECT sluice.expr_text(d.adbin, d.adrelid) FROM pg_attrdef d
                                                    WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum),
                                       'collation', (SELECT json_build_array(cn.nspname, co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
                                                     WHERE co.oid = a.attcollation AND a.attcollation <> t.typcollation),
                                       'key', coalesce(a.attnum = ANY (CASE c.relreplident WHEN 'i' THEN ri.indkey
                                                                         WHEN 'n' THEN NULL ELSE pk.indkey END), false),
                                       'labels', (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e
                                                   WHERE e.enumtypid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END),
                                       'enum', (SELECT json_build_array(en.nspname, ev.typname) FROM pg_type ev
                                                  JOIN pg_namespace en ON en.oid = ev.typnamespace
                                                 WHERE ev.oid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END
                                                   AND ev.typtype = 'e'))
                                     ORDER BY a.attnum)
                       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                       LEFT JOIN pg_index pk ON pk.indrelid = c.oid AND pk.indisprimary
                       LEFT JOIN pg_index ri ON ri.indrelid = c.oid AND ri.indisreplident
                      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''),
         'generated', (SELECT json_agg(json_build_object('name', a.attname, 'type', sluice.type_text(a.atttypid, a.atttypmod),
                                         'nullable', NOT a.attnotnull, 'expression', sluice.expr_text(d.adbin, d.adrelid),
                                         'stored', a.attgenerated = 's',
                                         'place', (SELECT count(*) FROM pg_attribute b WHERE b.attrelid = a.attrelid AND b.attnum > 0
                                                        AND b.attnum < a.attnum AND NOT b.attisdropped AND b.attgenerated = '')) ORDER BY a.attnum)
                         FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated <> ''),
         'inherits', (SELECT coalesce(json_agg(json_build_array(pn.nspname, p.relname) ORDER BY i.inhseqno), '[]')
                        FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
                       WHERE i.inhrelid = c.oid AND NOT c.relispartition))
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = $1::oid
$shape$;
-- The types of its own a table's columns use, as a DDL message's "types" (FORMAT.md): domains,
-- free-standing composite types, range types, and enums — its columns' own and those reached through arrays,
-- domain bases, composite attributes, range subtypes and multiranges — each after what it depends
-- on; a type an extension made is named with its extension and not looked into (the extension
-- makes its parts). The trigger's message carries them from inside the DDL's own transaction; capture runs the
-- same query (the function's body) for a table it announces.
CREATE OR REPLACE FUNCTION sluice.table_types(rel oid) RETURNS json LANGUAGE sql STABLE AS $types$
WITH RECURSIVE deps(oid, depth, inside) AS (
    SELECT a.atttypid, 0, false FROM pg_attribute a WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
    SELECT x.dep, deps.depth + 1, deps.inside OR t.typtype IN ('d', 'c', 'r', 'm')
      FROM deps JOIN pg_type t ON t.oid = deps.oid
      CROSS JOIN LATERAL (SELECT t.typelem WHERE t.typcategory = 'A' AND t.typelem <> 0
                          UNION ALL SELECT t.typbasetype WHERE t.typtype = 'd'
                          UNION ALL SELECT a.atttypid FROM pg_attribute a JOIN pg_class k ON k.oid = a.attrelid
                           WHERE t.typtype = 'c' AND k.oid = t.typrelid AND k.relkind = 'c' AND a.attnum > 0 AND NOT a.attisdropped
                          UNION ALL SELECT r.rngsubtype FROM pg_range r WHERE t.typtype = 'r' AND r.rngtypid = t.oid
                          UNION ALL SELECT r.rngtypid FROM pg_range r WHERE t.typtype = 'm'
                           AND (to_jsonb(r) ->> 'rngmultitypid')::oid = t.oid) x(dep)
     WHERE deps.depth < 16
       AND (t.typcategory = 'A' OR NOT EXISTS (SELECT 1 FROM pg_depend m WHERE m.classid = 'pg_type'::regclass
              AND m.objid = deps.oid AND m.refclassid = 'pg_extension'::regclass AND m.deptype = 'e')))
SELECT coalesce(json_agg(json_build_object(
         'schema', n.nspname, 'name', t.typname,
         'kind', CASE WHEN x.extname IS NOT NULL THEN 'extension'
                      ELSE CASE t.typtype WHEN 'd' THEN 'domain' WHEN 'e' THEN 'enum' WHEN 'r' THEN 'range' ELSE 'composite' END END,
         'extension', x.extname,
         'base', CASE t.typtype WHEN 'r' THEN sluice.type_text(rg.rngsubtype, NULL) WHEN 'd' THEN sluice.type_text(t.typbasetype, t.typtypmod) END,
         'not_null', t.typnotnull,
         'checks', ARRAY(SELECT sluice.check_text(con.oid) FROM pg_constraint con
                          WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.conname),
         'attributes', (SELECT coalesce(json_agg(json_build_object('name', a.attname, 'type', sluice.type_text(a.atttypid, a.atttypmod))
                                                 ORDER BY a.attnum), '[]')
                          FROM pg_attribute a WHERE t.typtype = 'c' AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped),
         'labels', CASE WHEN t.typtype = 'e' THEN ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid
                                                         ORDER BY e.enumsortorder) END,
         'collation', CASE WHEN co.oid IS NOT NULL THEN json_build_array(cn.nspname, co.collname) END,
         'opclass', CASE WHEN oc.oid IS NOT NULL THEN json_build_array(ocn.nspname, oc.opcname) END,
         'multirange', CASE WHEN mt.oid IS NOT NULL THEN json_build_array(mtn.nspname, mt.typname) END)
         ORDER BY d.depth DESC, n.nspname, t.typname), '[]')
  FROM (SELECT oid, max(depth) AS depth, bool_or(inside) AS inside FROM deps GROUP BY oid) d
  JOIN pg_type t ON t.oid = d.oid
  JOIN pg_namespace n ON n.oid = t.typnamespace
  LEFT JOIN pg_class k ON k.oid = t.typrelid
  LEFT JOIN pg_range rg ON rg.rngtypid = t.oid
  LEFT JOIN pg_type st ON st.oid = rg.rngsubtype
  LEFT JOIN pg_collation co ON co.oid = rg.rngcollation AND rg.rngcollation <> st.typcollation
  LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
  LEFT JOIN pg_opclass oc ON oc.oid = rg.rngsubopc AND NOT oc.opcdefault
  LEFT JOIN pg_namespace ocn ON ocn.oid = oc.opcnamespace
  LEFT JOIN pg_type mt ON mt.oid = (to_jsonb(rg) ->> 'rngmultitypid')::oid
  LEFT JOIN pg_namespace mtn ON mtn.oid = mt.typnamespace
  LEFT JOIN LATERAL (SELECT e.extname FROM pg_depend m JOIN pg_extension e ON e.oid = m.refobjid
                      WHERE m.classid = 'pg_type'::regclass AND m.objid = t.oid AND m.refclassid = 'pg_extension'::regclass
                        AND m.deptype = 'e') x ON true
 WHERE (t.typtype IN ('d', 'r') OR t.typtype = 'c' AND k.relkind = 'c' OR t.typtype = 'e'
        OR x.extname IS NOT NULL AND t.typcategory <> 'A')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
$types$;
-- sluice.table_types, read only when the table has a column of a type that is not built in (an oid from 16384,
-- FirstNormalObjectId, on; a built-in type uses built-in ones only): an SQL function's body is planned at each call,
-- and planning that one cost most of an ordinary table's DDL command.
CREATE OR REPLACE FUNCTION sluice.types_used(rel oid) RETURNS json LANGUAGE sql STABLE AS $f$
  SELECT CASE WHEN EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
                              AND a.atttypid >= 16384)
              THEN sluice.table_types(rel) ELSE '[]'::json END
$f$;
-- A table's shape with the types it uses, as a rows message carries it for capture to announce the table.
CREATE OR REPLACE FUNCTION sluice.shape_with_types(rel oid) RETURNS jsonb LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp AS $f$
  SELECT sluice.table_shape(rel)::jsonb || jsonb_build_object('types', sluice.types_used(rel))
$f$;
-- A rows message's first line (sluice.emit_rows): the table, its root, the publication and the table that publication
-- publishes the rows as (target) with that table's shape as it is now (capture may read the message once later DDL has
-- changed it), the root's columns (those pgoutput sends: no generated one; of a publication's, those its column list
-- names) and key.
CREATE OR REPLACE FUNCTION sluice.rows_header(rel oid, root oid, publication name, target oid) RETURNS text LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp AS $f$
  SELECT json_build_object('table', json_build_array(pn.nspname, p.relname), 'root', json_build_array(rn.nspname, r.relname),
           'publication', publication,
           'shape', CASE WHEN target IS NOT NULL THEN sluice.shape_with_types(target) END,
           'as', (SELECT json_build_array(tn.nspname, t.relname) FROM pg_class t JOIN pg_namespace tn ON tn.oid = t.relnamespace
                   WHERE t.oid = target),
           'columns', (SELECT json_agg(a.attname ORDER BY a.attnum) FROM pg_attribute a
                        WHERE a.attrelid = root AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
                          AND (publication IS NULL OR a.attname = ANY ((sluice.published_rows(publication, target)).columns))),
           'key', (SELECT coalesce(json_agg(a.attname ORDER BY k.n), '[]') FROM pg_index i
                     CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(att, n)
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.att
                    WHERE i.indrelid = root AND i.indisprimary))::text
    FROM pg_class p JOIN pg_namespace pn ON pn.oid = p.relnamespace, pg_class r JOIN pg_namespace rn ON rn.oid = r.relnamespace
   WHERE p.oid = rel AND r.oid = root
$f$;
-- The rows a table holds that no row change carries — a table's added to a publication, a partition's that joined a
-- partitioned table (sluice.emit_joined) — written inside the DDL's transaction as messages of COPY text of about 1 MiB
-- ('sluice.rows': a JSON line, sluice.rows_header, then the rows), which capture turns into the stream's copy events
-- of the table its publication publishes: for one publication, the rows its row filter passes, as the table it
-- publishes them as (none: it publishes none of them). Writers wait until the DDL commits: a row committed after the
-- read, yet before the table was published, would be in neither.
CREATE OR REPLACE FUNCTION sluice.emit_rows(rel oid, root oid, publication name) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $f$
DECLARE target oid;
BEGIN
  target := sluice.published_as(rel, root, publication);
  IF target IS NOT NULL THEN
    PERFORM sluice.write_rows(rel, sluice.rows_header(rel, root, publication, target)::jsonb, root,
                              (sluice.published_rows(publication, target)).filter, true);
  END IF;
END $f$;
-- Whether a publication published a table (and its partitions) while it was a table of its own, at the top of its tree
-- (FOR ALL TABLES, FOR TABLE it, FOR TABLES IN SCHEMA its schema): asked once it has joined a partitioned table.
CREATE OR REPLACE FUNCTION sluice.published_itself(rel oid, pub oid) RETURNS boolean LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp AS $f$
DECLARE listed boolean;
BEGIN
  SELECT p.puballtables OR EXISTS (SELECT FROM pg_publication_rel r WHERE r.prpubid = p.oid AND r.prrelid = rel)
    INTO listed FROM pg_publication p WHERE p.oid = pub;
  IF NOT listed AND to_regclass('pg_catalog.pg_publication_namespace') IS NOT NULL THEN -- PostgreSQL 15 and later
    EXECUTE $q$SELECT EXISTS (SELECT FROM pg_publication_namespace s JOIN pg_class k ON k.relnamespace = s.pnnspid
                               WHERE s.pnpubid = $1 AND k.oid = $2)$q$ INTO listed USING pub, rel;
  END IF;
  RETURN coalesce(listed, false);
END $f$;
-- The rows of a partition that joined a partitioned table holding them, for each publication that publishes them (as
-- the partition or a table above it) and did not already: one message of them for all such publications but those
-- that filter them — each of which gets a message of its own of the rows that pass, marked joined (they add to what the
-- table holds) — which names the others' tables (targets, with the shapes those have now) and the publications it is
-- not for (except). was_top: the table at the top of the partition's tree until now (itself, when it was a table of its
-- own; null when not known). A publication that published that tree published the rows as the partition or, through
-- the root, as was_top; if it still publishes them so, its followers hold them (none are written for it), else they
-- drop the table they held first (a drop message), as for a publication that changes publish_via_partition_root.
CREATE OR REPLACE FUNCTION sluice.emit_joined(rel oid, root oid, was_top oid) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $f$
DECLARE p record; left_out jsonb := '[]'; targets jsonb := '{}'; shaped oid[] := '{}'; shapes jsonb := '[]';
BEGIN
  FOR p IN SELECT q.pubname, a.target, w.filter,
                  CASE WHEN was_top IS NOT NULL AND sluice.published_itself(was_top, q.oid)
                       THEN CASE WHEN q.pubviaroot THEN was_top ELSE rel END END AS had,
                  EXISTS (SELECT FROM pg_attribute t WHERE t.attrelid = root AND t.attnum > 0 AND NOT t.attisdropped AND t.attgenerated = ''
                             AND t.attname <> ALL (w.columns)) AS narrowed
             FROM pg_publication q
             CROSS JOIN LATERAL (SELECT sluice.published_as(rel, root, q.pubname) AS target) a
             CROSS JOIN LATERAL sluice.published_rows(q.pubname, a.target) w WHERE a.target IS NOT NULL LOOP
    IF p.had = p.target THEN
      left_out := left_out || to_jsonb(p.pubname);
      CONTINUE;
    END IF;
    IF p.had IS NOT NULL THEN
      PERFORM sluice.emit_drop(n.nspname, k.relname, json_build_array(p.pubname))
         FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace WHERE k.oid = p.had;
    END IF;
    IF p.filter IS NOT NULL OR p.narrowed THEN
      left_out := left_out || to_jsonb(p.pubname);
      PERFORM sluice.write_rows(rel, sluice.rows_header(rel, root, p.pubname, p.target)::jsonb || '{"joined": true}', root,
                                p.filter, false);
      CONTINUE;
    END IF;
    targets := targets || (SELECT jsonb_build_object(p.pubname, jsonb_build_array(n.nspname, k.relname))
                             FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace WHERE k.oid = p.target);
    IF p.target <> ALL (shaped) THEN
      shaped := shaped || p.target;
      shapes := shapes || jsonb_build_array(sluice.shape_with_types(p.target));
    END IF;
  END LOOP;
  IF targets <> '{}' THEN
    PERFORM sluice.write_rows(rel, sluice.rows_header(rel, root, NULL, NULL)::jsonb
                                     || jsonb_build_object('except', left_out, 'targets', targets, 'shapes', shapes), root, NULL, false);
  END IF;
END $f$;
-- One rows message's worth of lines at a time: the rows of rel that filter passes, the columns of root the header names.
-- whole: the rows are all the table holds, so a message of none is written if there are none (a table taken in empty).
CREATE OR REPLACE FUNCTION sluice.write_rows(rel oid, header jsonb, root oid, filter text, whole boolean) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp SET DateStyle = 'ISO, MDY' SET IntervalStyle = 'postgres' SET extra_float_digits = 3
  SET bytea_output = 'hex' SET lc_monetary = 'C' AS $f$
DECLARE cols text; chunk text;
BEGIN
  EXECUTE format('LOCK TABLE %s IN SHARE MODE', rel::regclass);
  -- NULL by the datum itself: a composite of NULL fields IS NULL, yet is a value.
  SELECT string_agg(format('CASE WHEN num_nulls(%1$I) = 1 THEN ''\N'' ELSE sluice.copy_text(format(''%%s'', %1$I)) END', a.attname),
                    ' || E''\t'' || ' ORDER BY a.attnum) INTO cols
    FROM pg_attribute a WHERE a.attrelid = root AND a.attnum > 0 AND NOT a.attisdropped
     AND a.attname IN (SELECT jsonb_array_elements_text(header -> 'columns'));
  IF cols IS NULL OR header IS NULL THEN
    RETURN; -- a table without columns has no values to carry (and its DDL must not fail for the message's sake)
  END IF;
  -- Lines gathered into messages of about 1 MiB by the server, not appended one by one.
  FOR chunk IN EXECUTE format('SELECT string_agg(l, E''\n'') || E''\n'' FROM (SELECT l, sum(octet_length(l) + 1)'
                              ' OVER (ORDER BY n) / 1048576 AS part FROM (SELECT %s AS l, row_number() OVER () AS n FROM ONLY %s%s) x) y'
                              ' GROUP BY part ORDER BY part', cols, rel::regclass, coalesce(' WHERE ' || filter, '')) LOOP
    PERFORM sluice.emit('sluice.rows', header::text || E'\n' || chunk);
  END LOOP;
  IF NOT FOUND AND whole THEN
    PERFORM sluice.emit('sluice.rows', header::text || E'\n'); -- taken in empty: all it holds is no row
  END IF;
END $f$;
-- A partitioned table's tree as the map holds it, brought up to date (each partition's root and rows;
-- a default partition's rows change with its siblings): returns the partitions that left the tree
-- since the triggers last looked — detached, or dropped (no longer in the catalog) — each with the
-- rows it held, null where they cannot be told by their values (hash partitions: their constraint
-- names the parent by oid); and writes the rows of each partition that joined it holding rows of
-- its own (attached) into the transaction (sluice.emit_rows).
CREATE OR REPLACE FUNCTION sluice.partition_moves(root oid, OUT gone json) LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $f$
DECLARE tree oid[];
BEGIN
  SELECT coalesce(array_agg(i.relid), '{}') INTO tree
    FROM sluice.inheritors(root) i(relid) JOIN pg_class k ON k.oid = i.relid AND k.relkind IN ('r', 'p');
  SELECT json_agg(json_build_object('table', json_build_array(t.nspname, t.relname), 'rows', t.partition_rows,
                                    'collated', coalesce(t.partition_collated, true))
                  ORDER BY t.nspname, t.relname) INTO gone
    FROM sluice.table_name t WHERE t.partition_root = root AND t.relid <> ALL (tree);
  -- Joined: a leaf whose rows no row change carried (a partitioned one's are its leaves'); and one that was a table of
  -- its own though it holds none, whose followers hold it as that table until a drop message says it has gone.
  PERFORM sluice.emit_joined(t.relid, root, coalesce(t.partition_root, t.relid)) FROM sluice.table_name t JOIN pg_class k ON k.oid = t.relid AND k.relkind = 'r'
    WHERE t.relid = ANY (tree) AND t.partition_root IS DISTINCT FROM root AND (t.partition_root IS NULL OR sluice.has_rows(t.relid));
  -- Detached, and published as itself (or as its own tree) now by a publication that published it
  -- through this root before (FOR ALL TABLES WITH publish_via_partition_root: capture's own when it
  -- lists no tables): the rows it holds — none, for an empty one, which its followers then hold empty.
  PERFORM sluice.emit_rows(k.oid, top.oid, p.pubname) FROM sluice.table_name t JOIN pg_class k ON k.oid = t.relid AND k.relkind = 'r'
     JOIN pg_class top ON top.oid = CASE WHEN k.relispartition THEN pg_partition_root(k.oid) ELSE k.oid END
     JOIN pg_namespace n ON n.oid = top.relnamespace
     JOIN pg_publication_tables pt ON pt.schemaname = n.nspname AND pt.tablename = top.relname
     JOIN pg_publication p ON p.pubname = pt.pubname AND p.pubviaroot
    WHERE t.partition_root = root AND t.relid <> ALL (tree);
  UPDATE sluice.table_name t SET partition_root = NULL, partition_rows = NULL, partition_collated = NULL
   WHERE t.partition_root = root AND t.relid <> ALL (tree);
  -- A partition's rows are read again where they may have changed: new to the tree, not known yet, or
  -- a default partition's (and what lies under one), which change with its siblings; a bound never does.
  UPDATE sluice.table_name t SET partition_root = root, partition_rows = r.rows, partition_collated = sluice.collated_bounds(r.oid)
    FROM (SELECT k.oid, sluice.partition_rows(k.oid) AS rows FROM pg_class k LEFT JOIN sluice.table_name m ON m.relid = k.oid
           WHERE k.oid = ANY (tree)
             AND (m.partition_root IS DISTINCT FROM root OR m.partition_rows IS NULL
                  OR k.oid IN (SELECT d.partdefid FROM pg_partitioned_table d WHERE d.partrelid = ANY (tree || root)
                               UNION ALL SELECT sluice.inheritors(d.partdefid) FROM pg_partitioned_table d
                                WHERE d.partrelid = ANY (tree || root) AND d.partdefid <> 0))) r
   WHERE t.relid = r.oid AND ((t.partition_root, t.partition_rows) IS DISTINCT FROM (root, r.rows) OR t.partition_collated IS NULL);
  PERFORM sluice.guard_truncates(root);
END $f$;
-- A partition truncated on its own: publishing through the root, pgoutput sends no TRUNCATE of it, so
-- its partitioned table's message says its rows are gone (partitions_gone). A TRUNCATE of the whole
-- tree needs none — the root's BEFORE trigger marks the statement, its AFTER trigger unmarks it.
CREATE OR REPLACE FUNCTION sluice.note_truncate() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $f$
DECLARE root oid; kind char; part boolean;
BEGIN
  SELECT k.relkind, k.relispartition INTO kind, part FROM pg_class k WHERE k.oid = TG_RELID;
  IF NOT part THEN
    PERFORM sluice.set_mark('truncating_' || TG_RELID, CASE WHEN TG_WHEN = 'BEFORE' THEN 1 ELSE 0 END);
    RETURN NULL;
  END IF;
  IF TG_WHEN = 'AFTER' OR kind = 'p' THEN
    RETURN NULL; -- a root's triggers on a table attached since as a partition: its leaves' own say it
  END IF;
  root := pg_partition_root(TG_RELID);
  IF sluice.mark('truncating_' || root) = 0 THEN
    PERFORM sluice.emit_table(root, false, '{}', '[]', json_build_array(json_build_object(
              'table', json_build_array(TG_TABLE_SCHEMA, TG_TABLE_NAME), 'rows', sluice.partition_rows(TG_RELID),
              'collated', sluice.collated_bounds(TG_RELID))), false);
  END IF;
  RETURN NULL;
END $f$;
-- The triggers of a partitioned table's tree that see a partition truncated: on each leaf, and
-- before and after on the root; made where missing.
CREATE OR REPLACE FUNCTION sluice.guard_truncates(root oid) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $f$
DECLARE r record;
BEGIN
  FOR r IN SELECT k.oid, w.w FROM (SELECT root AS oid UNION SELECT i.relid FROM sluice.inheritors(root) i(relid)) t
             JOIN pg_class k ON k.oid = t.oid AND (k.relkind = 'r' OR k.oid = root) AND k.relpersistence = 'p'
             CROSS JOIN LATERAL (SELECT 'BEFORE' AS w UNION ALL SELECT 'AFTER' WHERE k.oid = root) w
            WHERE NOT EXISTS (SELECT FROM pg_trigger g WHERE g.tgrelid = k.oid AND g.tgname = 'sluice_truncate_' || lower(w.w)) LOOP
    EXECUTE format('CREATE TRIGGER %I %s TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION sluice.note_truncate()',
                   'sluice_truncate_' || lower(r.w), r.w, r.oid::regclass);
  END LOOP;
END $f$;
-- Whether a table has a row: a rewrite of an empty one computed no value. One the command dropped has none.
CREATE OR REPLACE FUNCTION sluice.has_rows(rel oid) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $f$
DECLARE found boolean;
BEGIN
  IF NOT EXISTS (SELECT FROM pg_class k WHERE k.oid = rel) THEN
    RETURN false; -- dropped by the command under way
  END IF;
  EXECUTE format('SELECT EXISTS (SELECT FROM %s)', rel::regclass) INTO found;
  RETURN found;
END $f$;
-- The value a column has in the table's rows, as text, or null when its default is volatile (the
-- rows may each have another) or the table has no row: what the rows that existed before an ALTER
-- added the column have in it, where the catalog holds no missing value for them (the ALTER rewrote
-- the table, which clears those; a partitioned table keeps them on its partitions). Volatile: any
-- function the default calls, itself or through an operator, is — read from the expression's tree,
-- for pg_depend lists no built-in function. An error gives null, never the DDL's failure.
CREATE OR REPLACE FUNCTION sluice.existing_value(rel oid, att int2) RETURNS text LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $f$
DECLARE col name; volatile boolean; v text;
BEGIN
  SELECT a.attname, EXISTS (SELECT 1 FROM regexp_matches(d.adbin::text, ':(?:funcid|opfuncid) (\d+)', 'g') m(f)
                              JOIN pg_proc p ON p.oid = m.f[1]::oid WHERE p.provolatile = 'v')
    INTO col, volatile
    FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE a.attrelid = rel AND a.attnum = att;
  IF col IS NULL OR volatile THEN
    RETURN NULL;
  END IF;
  -- The type's output function (format's %s), not a cast to text: a cast may be a function of the
  -- type's owner, and this runs with the triggers' owner's rights.
  EXECUTE format('SELECT CASE WHEN num_nulls(%1$I) = 0 THEN format(''%%s'', %1$I) END FROM %2$s LIMIT 1', col, rel::regclass) INTO v;
  RETURN v;
EXCEPTION WHEN OTHERS THEN
  RETURN NULL; -- the DDL must not fail for the message's sake
END $f$;
-- Run by whoever runs the DDL: definer's rights, so no role needs to write sluice.table_name itself.
CREATE OR REPLACE FUNCTION sluice.remember_name(rel oid) RETURNS json LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $f$
DECLARE was record; now record;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM sluice.table_name) THEN
    -- Emptied by a crash (an unlogged table): names from now on; the old name of this one is lost.
    PERFORM sluice.fill_names();
  END IF;
  SELECT n.nspname, c.relname INTO now FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel;
  SELECT t.nspname, t.relname INTO was FROM sluice.table_name t WHERE t.relid = rel;
  INSERT INTO sluice.table_name (relid, nspname, relname, column_names, partition_root, logged)
    SELECT rel, now.nspname, now.relname, sluice.column_names(rel), CASE WHEN c.relispartition THEN pg_partition_root(c.oid) END,
           c.relpersistence = 'p'
      FROM pg_class c WHERE c.oid = rel
    ON CONFLICT (relid) DO UPDATE SET nspname = EXCLUDED.nspname, relname = EXCLUDED.relname, logged = EXCLUDED.logged;
  IF was.relname IS NULL OR (was.nspname, was.relname) = (now.nspname, now.relname) THEN
    RETURN NULL;
  END IF;
  RETURN json_build_array(was.nspname, was.relname);
END $f$;
-- The partitioned table a table was last seen a partition of (the top of its tree), or null.
CREATE OR REPLACE FUNCTION sluice.partition_root_of(rel oid) RETURNS oid LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $f$ SELECT t.partition_root FROM sluice.table_name t WHERE t.relid = rel $f$;
CREATE OR REPLACE FUNCTION sluice.forget_name(rel oid) RETURNS void LANGUAGE sql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $f$ DELETE FROM sluice.table_name WHERE relid = rel $f$;
-- Every type's name likewise, so that a DDL message can say what a renamed (or moved) type was called:
-- domains, enums, ranges, multiranges, free-standing composite types and base types (extensions'), not arrays.
CREATE UNLOGGED TABLE IF NOT EXISTS sluice.type_name (typid oid PRIMARY KEY, nspname name NOT NULL, typname name NOT NULL);
CREATE OR REPLACE FUNCTION sluice.fill_type_names() RETURNS void LANGUAGE sql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $f$
  INSERT INTO sluice.type_name AS t SELECT y.oid, n.nspname, y.typname FROM pg_type y
    JOIN pg_namespace n ON n.oid = y.typnamespace LEFT JOIN pg_class k ON k.oid = y.typrelid
   WHERE (y.typtype IN ('b', 'd', 'e', 'r', 'm') AND y.typcategory <> 'A' OR y.typtype = 'c' AND k.relkind = 'c')
     AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
  ON CONFLICT (typid) DO UPDATE SET nspname = EXCLUDED.nspname, typname = EXCLUDED.typname
   WHERE (t.nspname, t.typname) IS DISTINCT FROM (EXCLUDED.nspname, EXCLUDED.typname);
  -- Typid 0, no type: the map is filled, also in a database with no type of its own (else every DDL
  -- command would fill it again); a crash empties it with the map.
  INSERT INTO sluice.type_name VALUES (0, '', '') ON CONFLICT (typid) DO NOTHING;
$f$;
-- The type's name before the command that is ending, as [schema, name], when the command renamed
-- or moved it (null otherwise); remembers the name it has now.
CREATE OR REPLACE FUNCTION sluice.remember_type_name(typ oid) RETURNS json LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $f$
DECLARE was record; now record;
BEGIN
  SELECT t.nspname, t.typname INTO was FROM sluice.type_name t WHERE t.typid = typ;
  IF NOT FOUND THEN
    PERFORM sluice.fill_type_names(); -- a type made before the triggers, or a crash emptied the table: no old name
    RETURN NULL;
  END IF;
  SELECT n.nspname, y.typname INTO now FROM pg_type y JOIN pg_namespace n ON n.oid = y.typnamespace WHERE y.oid = typ;
  IF (was.nspname, was.typname) = (now.nspname, now.typname) THEN
    RETURN NULL;
  END IF;
  UPDATE sluice.type_name SET nspname = now.nspname, typname = now.typname WHERE typid = typ;
  RETURN json_build_array(was.nspname, was.typname);
END $f$;
CREATE OR REPLACE FUNCTION sluice.forget_type_name(typ oid) RETURNS void LANGUAGE sql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $f$ DELETE FROM sluice.type_name WHERE typid = typ $f$;
CREATE OR REPLACE FUNCTION sluice.note_names() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
  PERFORM sluice.remember_name(d.objid) FROM pg_event_trigger_ddl_commands() d JOIN pg_class c ON c.oid = d.objid
    WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't';
  -- A partition made: its siblings' rows (a default partition's) change with it.
  PERFORM sluice.partition_moves(r.root) FROM (SELECT DISTINCT pg_partition_root(c.oid) AS root FROM pg_event_trigger_ddl_commands() d
                                                JOIN pg_class c ON c.oid = d.objid WHERE c.relispartition) r;
  IF EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() d WHERE d.command_tag IN ('CREATE TYPE', 'CREATE DOMAIN', 'CREATE EXTENSION')) THEN
    -- A type made: all of them, for a range's multirange and an extension's types come along unnamed.
    PERFORM sluice.fill_type_names();
  END IF;
END $f$;
-- The publications that published a table the command is dropping, as itself: the catalog has lost
-- the table's entries, which are among the dropped objects (a schema's too, when dropped with it); a
-- partition's through its partitioned table, by a publication that does not publish through the root.
CREATE OR REPLACE FUNCTION sluice.dropped_from(nsp name, rel name, root oid, logged boolean) RETURNS json LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp AS $f$
DECLARE pubs name[]; top text[];
BEGIN
  SELECT ARRAY[t.nspname, t.relname]::text[] INTO top FROM sluice.table_name t WHERE t.relid = root;
  SELECT coalesce(array_agg(p.pubname), '{}') INTO pubs FROM pg_publication p
   WHERE (root IS NULL OR NOT p.pubviaroot)
     AND (p.puballtables AND coalesce(logged, true)
          OR EXISTS (SELECT FROM pg_event_trigger_dropped_objects() o
                      WHERE o.object_type IN ('publication relation', 'publication namespace') AND o.address_args[1] = p.pubname
                        AND (o.address_names IN (ARRAY[nsp, rel]::text[], ARRAY[nsp]::text[], top)))
          OR EXISTS (SELECT FROM pg_publication_rel r WHERE r.prpubid = p.oid AND r.prrelid = root));
  IF to_regclass('pg_catalog.pg_publication_namespace') IS NOT NULL THEN -- PostgreSQL 15 and later
    EXECUTE $q$SELECT $1 || coalesce(array_agg(p.pubname), '{}') FROM pg_publication p
                 JOIN pg_publication_namespace pn ON pn.pnpubid = p.oid JOIN pg_namespace n ON n.oid = pn.pnnspid
                WHERE n.nspname = $2 AND coalesce($3, true) AND ($4 IS NULL OR NOT p.pubviaroot)$q$
      INTO pubs USING pubs, nsp, logged, root;
  END IF;
  RETURN (SELECT coalesce(json_agg(DISTINCT x), '[]') FROM unnest(pubs) x);
END $f$;
CREATE OR REPLACE FUNCTION sluice.drop_names() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
  -- A partition dropped with its rows while its partitioned table stays: a message for that table.
  PERFORM sluice.emit_table(r.root, false, '{}', '[]', m.gone, false)
     FROM (SELECT DISTINCT sluice.partition_root_of(d.objid) AS root FROM pg_event_trigger_dropped_objects() d
            WHERE d.object_type = 'table') r
     JOIN pg_class k ON k.oid = r.root CROSS JOIN LATERAL sluice.partition_moves(r.root) m(gone)
    WHERE m.gone IS NOT NULL;
  -- A published table dropped: its followers drop theirs at this position (capture passes the message on
  -- when its own publication published the table); never Sluice's own (an applier's bookkeeping here).
  PERFORM sluice.emit_drop(x.schema_name, x.object_name, x.pubs)
     FROM (SELECT d.schema_name, d.object_name, sluice.dropped_from(d.schema_name, d.object_name, m.partition_root, m.logged) AS pubs
             FROM pg_event_trigger_dropped_objects() d JOIN sluice.table_name m ON m.relid = d.objid
            WHERE d.object_type = 'table' AND NOT d.is_temporary AND d.schema_name <> 'sluice') x
    WHERE json_array_length(x.pubs) > 0;
  PERFORM sluice.forget_name(d.objid) FROM pg_event_trigger_dropped_objects() d WHERE d.object_type = 'table';
  PERFORM sluice.forget_type_name(d.objid) FROM pg_event_trigger_dropped_objects() d WHERE d.classid = 'pg_type'::regclass;
END $f$;
SELECT sluice.fill_names();
SELECT sluice.fill_type_names();
SELECT sluice.guard_truncates(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'p' AND NOT c.relispartition AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%';
-- Before a command the triggers act on: the maps filled if a crash emptied them (unlogged tables; a promoted
-- standby has them empty), so that the command's own messages can still say what it renamed, dropped or
-- detached; and before an ALTER PUBLICATION, how each publication publishes partitioned tables, so that its
-- end can tell one that changed publish_via_partition_root (the catalog then has the new setting only).
CREATE OR REPLACE FUNCTION sluice.before_ddl() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
  IF NOT EXISTS (SELECT FROM sluice.table_name) THEN
    PERFORM sluice.fill_names();
  END IF;
  IF NOT EXISTS (SELECT FROM sluice.type_name) THEN
    PERFORM sluice.fill_type_names();
  END IF;
  IF TG_TAG = 'ALTER PUBLICATION' THEN
    PERFORM sluice.set_mark('viaroot_' || p.oid, CASE WHEN p.pubviaroot THEN 2 ELSE 1 END) FROM pg_publication p;
    PERFORM sluice.set_mark('viaroot_' || p.oid || '_' || k.oid, 1) FROM pg_publication p
       JOIN pg_publication_tables pt ON pt.pubname = p.pubname JOIN pg_namespace n ON n.nspname = pt.schemaname
       JOIN pg_class k ON k.relnamespace = n.oid AND k.relname = pt.tablename
      WHERE p.pubviaroot AND k.relkind = 'p';
  END IF;
END $f$;
-- A table added to a publication (ALTER PUBLICATION … ADD TABLE, … ADD TABLES IN SCHEMA) brings the
-- rows it holds, which no row change carries; a partitioned table's, partition by partition.
CREATE OR REPLACE FUNCTION sluice.note_publication() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $f$
DECLARE added jsonb; pub record; top record;
BEGIN
  SELECT coalesce(jsonb_agg(jsonb_build_array(pr.prrelid, pr.prpubid)), '[]') INTO added FROM pg_event_trigger_ddl_commands() d
    JOIN pg_publication_rel pr ON pr.oid = d.objid WHERE d.classid = 'pg_publication_rel'::regclass;
  IF to_regclass('pg_catalog.pg_publication_namespace') IS NOT NULL THEN -- PostgreSQL 15 and later
    EXECUTE $q$SELECT $1 || coalesce(jsonb_agg(jsonb_build_array(c.oid, pn.pnpubid)), '[]') FROM pg_event_trigger_ddl_commands() d
                 JOIN pg_publication_namespace pn ON pn.oid = d.objid AND d.classid = 'pg_publication_namespace'::regclass
                 JOIN pg_class c ON c.relnamespace = pn.pnnspid AND c.relkind IN ('r', 'p') AND NOT c.relispartition
                  AND c.relpersistence = 'p'$q$ INTO added USING added;
  END IF;
  PERFORM sluice.emit_rows(coalesce(leaf.relid, c.oid), c.oid, p.pubname)
     FROM jsonb_array_elements(added) a(pair)
     JOIN pg_class c ON c.oid = (a.pair ->> 0)::oid JOIN pg_publication p ON p.oid = (a.pair ->> 1)::oid
     LEFT JOIN LATERAL (SELECT i.relid FROM sluice.inheritors(c.oid) i(relid) JOIN pg_class k ON k.oid = i.relid
                         WHERE k.relkind = 'r') leaf ON c.relkind = 'p'
    WHERE c.relkind = 'r' OR leaf.relid IS NOT NULL;
  -- A publication that changed publish_via_partition_root publishes a partitioned table's rows as other
  -- tables from now on — its partitions instead of itself, or the other way round: the tables it published
  -- them as are dropped on its followers, and the rows are written as the tables it publishes them as now
  -- (a truncate and a copy, as for a table taken in).
  FOR pub IN SELECT q.oid, q.pubname, q.pubviaroot FROM pg_publication q
            WHERE sluice.mark('viaroot_' || q.oid) = CASE WHEN q.pubviaroot THEN 1 ELSE 2 END LOOP
    FOR top IN SELECT k.oid, n.nspname, k.relname FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace
              WHERE k.relkind = 'p' AND CASE WHEN pub.pubviaroot
                    THEN EXISTS (SELECT FROM pg_publication_tables pt WHERE pt.pubname = pub.pubname AND pt.schemaname = n.nspname
                                    AND pt.tablename = k.relname)
                    ELSE sluice.mark('viaroot_' || pub.oid || '_' || k.oid) = 1 END LOOP
      PERFORM sluice.emit_drop(x.nspname, x.relname, json_build_array(pub.pubname))
         FROM (SELECT top.nspname, top.relname WHERE NOT pub.pubviaroot
               UNION ALL
               SELECT n.nspname, k.relname FROM sluice.inheritors(top.oid) i(relid) JOIN pg_class k ON k.oid = i.relid
                 JOIN pg_namespace n ON n.oid = k.relnamespace WHERE pub.pubviaroot AND k.relkind = 'r') x;
      PERFORM sluice.emit_rows(k.oid, top.oid, pub.pubname) FROM sluice.inheritors(top.oid) i(relid) JOIN pg_class k ON k.oid = i.relid
        WHERE k.relkind = 'r';
    END LOOP;
  END LOOP;
END $f$;
CREATE OR REPLACE FUNCTION sluice.note_rewrite() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $f$
BEGIN
  PERFORM sluice.set_mark('rewrite_' || pg_event_trigger_table_rewrite_oid(), pg_event_trigger_table_rewrite_reason());
END $f$;
-- The tables whose columns use a type — directly, or through arrays, domains, composite types
-- (their attributes, or a table's row type) and ranges: pg_depend walked from the type upward.
CREATE OR REPLACE FUNCTION sluice.type_users(typ oid) RETURNS SETOF oid LANGUAGE sql STABLE AS $users$
WITH RECURSIVE users(classid, objid) AS (
    SELECT 'pg_type'::regclass::oid, $1
  UNION
    SELECT d.classid, d.objid FROM users u JOIN pg_depend d ON d.refclassid = u.classid AND d.refobjid = u.objid
     WHERE d.classid IN ('pg_type'::regclass, 'pg_class'::regclass) AND d.deptype IN ('n', 'i'))
SELECT DISTINCT c.oid FROM users u JOIN pg_class c ON u.classid = 'pg_class'::regclass AND c.oid = u.objid
 WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't'
$users$;
-- Whether the command rewrote a table for a default computed per row, and whether it converted a column with
-- ALTER COLUMN … TYPE … USING an expression: values no follower can compute (a partitioned table's partitions are
-- rewritten and noted each on its own, the table itself never).
CREATE OR REPLACE FUNCTION sluice.volatile_rewrite(rel oid) RETURNS boolean LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp AS $f$
  SELECT EXISTS (SELECT FROM (SELECT rel UNION SELECT sluice.inheritors(rel)) t(relid) WHERE sluice.mark('rewrite_' || t.relid) & 2 <> 0)
         AND sluice.has_rows(rel)
$f$;
CREATE OR REPLACE FUNCTION sluice.using_rewrite(rel oid) RETURNS boolean LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp AS $f$
  SELECT EXISTS (SELECT FROM (SELECT rel UNION SELECT sluice.inheritors(rel)) t(relid) WHERE sluice.mark('rewrite_' || t.relid) & 4 <> 0)
         AND current_query() ~* '\yusing\y'
$f$;
-- The tables whose rows a table's rows message carries: itself, or a partitioned table's leaves.
CREATE OR REPLACE FUNCTION sluice.leaves(rel oid) RETURNS SETOF oid LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp AS $f$
  SELECT rel FROM pg_class k WHERE k.oid = rel AND k.relkind = 'r'
  UNION ALL
  SELECT i.relid FROM sluice.inheritors(rel) i(relid) JOIN pg_class k ON k.oid = i.relid
   WHERE k.relkind = 'r' AND EXISTS (SELECT FROM pg_class t WHERE t.oid = rel AND t.relkind = 'p')
$f$;
-- Whether the command left rows of a table (not a partition: its partitioned table's message speaks for it) with
-- values no follower can compute — a column it added whose existing rows hold values of a default computed per
-- row or of an identity (the message gives no value for them: its 'missing'), or a USING conversion — that some
-- publication publishes: those rows are then written as they are after the command (sluice.emit_ddl).
CREATE OR REPLACE FUNCTION sluice.rows_unknowable(rel oid) RETURNS boolean LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp AS $f$
DECLARE seen int;
BEGIN
  IF EXISTS (SELECT FROM pg_class k WHERE k.oid = rel AND k.relispartition) THEN
    RETURN false;
  END IF;
  SELECT cardinality(t.column_names) INTO seen FROM sluice.table_name t WHERE t.relid = rel;
  RETURN (sluice.using_rewrite(rel)
          OR sluice.volatile_rewrite(rel)
             AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = rel AND a.attnum > coalesce(seen, 0) AND NOT a.attisdropped
                            AND (a.atthasdef OR a.attidentity <> '') AND NOT a.atthasmissing
                            AND (NOT a.atthasdef OR sluice.existing_value(rel, a.attnum) IS NULL)))
         AND EXISTS (SELECT FROM sluice.leaves(rel) l(relid) CROSS JOIN pg_publication p
                      WHERE sluice.published_as(l.relid, rel, p.pubname) IS NOT NULL);
END $f$;
-- One table's definition as a DDL message (FORMAT.md), at this point of the transaction: created by
-- the command, types it renamed (new [schema, name] to old), columns the command reported renamed
-- ([{"rel","name"}], in the table or a table it inherits from), partitions gone with their rows; carried: its
-- rows are written after it, and its followers' copy emptied before it (rows_follow).
CREATE OR REPLACE FUNCTION sluice.emit_table(rel oid, created boolean, renamed jsonb, reported jsonb, gone json, carried boolean)
  RETURNS void LANGUAGE plpgsql
  SET DateStyle = 'ISO, MDY' SET IntervalStyle = 'postgres' SET extra_float_digits = 3 SET bytea_output = 'hex' SET lc_monetary = 'C'
  AS $f$
DECLARE names name[]; before int; lists json; narrowed boolean;
BEGIN
    names := sluice.names_before(rel);
    before := cardinality(names);
    IF to_regclass('pg_catalog.pg_publication_namespace') IS NOT NULL THEN -- PostgreSQL 15 and later: column lists
      EXECUTE 'SELECT EXISTS (SELECT FROM pg_catalog.pg_publication_rel r WHERE r.prattrs IS NOT NULL)' INTO narrowed;
    END IF;
    IF narrowed THEN -- none without a column list anywhere, and the view lists every published table: not read
      -- The columns each publication that narrows the table by a column list publishes of it, by name as of now.
      EXECUTE $q$SELECT json_object_agg(pt.pubname, pt.attnames) FROM pg_publication_tables pt JOIN pg_class k ON k.oid = $1
                   JOIN pg_namespace n ON n.oid = k.relnamespace
                  WHERE pt.schemaname = n.nspname AND pt.tablename = k.relname
                    AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
                                   AND a.attgenerated = '' AND a.attname <> ALL (pt.attnames))$q$ INTO lists USING rel;
    END IF;
    PERFORM sluice.emit('sluice.ddl', json_build_object(
      'table', json_build_array(n.nspname, c.relname),
      'trigger', true,
      'created', created,
      'types', CASE WHEN renamed = '{}' THEN sluice.types_used(c.oid) ELSE (
                 SELECT json_agg(CASE WHEN renamed ? json_build_array(e.t ->> 'schema', e.t ->> 'name')::text
                                      THEN (e.t::jsonb || jsonb_build_object('renamed_from',
                                              renamed -> json_build_array(e.t ->> 'schema', e.t ->> 'name')::text))::json
                                      ELSE e.t END ORDER BY e.ord)
                   FROM json_array_elements(sluice.types_used(c.oid)) WITH ORDINALITY e(t, ord)) END,
      'renamed_from', sluice.remember_name(c.oid),
      'volatile_rewrite', sluice.volatile_rewrite(c.oid),
      'rows_follow', carried,
      'column_lists', lists,
      -- Renamed here or, recursing, in a parent (the column's number may differ there): known by the
      -- name its number had, or, where the triggers had not seen it, by the command's own report.
      'renamed_columns', (SELECT coalesce(json_agg(a.attname ORDER BY a.attnum), '[]'::json) FROM pg_attribute a
                           WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                             AND (a.attnum <= before AND names[a.attnum] <> a.attname
                                  OR EXISTS (SELECT FROM jsonb_array_elements(reported) x WHERE x ->> 'name' = a.attname
                                                AND ((x ->> 'rel')::oid = c.oid OR c.oid IN (SELECT sluice.inheritors((x ->> 'rel')::oid)))))),
      'using_expression', sluice.using_rewrite(c.oid),
      -- Partitions that left it with their rows (dropped, detached).
      'partitions_gone', gone,
      'inherits', sluice.table_shape(c.oid) -> 'inherits',
      'columns', (SELECT coalesce(json_agg(json_build_object('name', a.attname,
                      'type', sluice.type_text(a.atttypid, a.atttypmod), 'nullable', NOT a.attnotnull,
                      -- Without a missing value (a rewrite cleared it, the partitions keep it), a
                      -- column this ALTER added has in the rows that existed what they hold now.
                      'missing', CASE WHEN a.atthasmissing THEN (a.attmissingval::text::text[])[1]
                                      WHEN a.attnum > before AND a.atthasdef THEN sluice.existing_value(c.oid, a.attnum) END,
                      'has_default', a.atthasdef OR a.attidentity <> '',
                      'default', (SELECT sluice.expr_text(d.adbin, d.adrelid) FROM pg_attrdef d
                                   WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum),
                      'collation', (SELECT json_build_array(cn.nspname, co.collname) FROM pg_collation co
                                     JOIN pg_namespace cn ON cn.oid = co.collnamespace JOIN pg_type t ON t.oid = a.atttypid
                                    WHERE co.oid = a.attcollation AND a.attcollation <> t.typcollation),
                      'renamed_from', CASE WHEN a.attnum <= before AND names[a.attnum] <> a.attname THEN names[a.attnum] END,
                      -- In the key as a schema event has it (table_shape's rule), as of this command: capture reads rows
                      -- written before it against this, not against a catalog that may have moved on.
                      'key', coalesce(a.attnum = ANY ((SELECT i.indkey FROM pg_index i WHERE i.indrelid = c.oid
                                        AND CASE c.relreplident WHEN 'i' THEN i.indisreplident WHEN 'n' THEN false
                                                                ELSE i.indisprimary END)::int2[]), false))
                      ORDER BY a.attnum), '[]')
                    FROM pg_attribute a
                   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''),
      'generated', (SELECT json_agg(json_build_object('name', a.attname,
                      'type', sluice.type_text(a.atttypid, a.atttypmod), 'nullable', NOT a.attnotnull,
                      'expression', sluice.expr_text(d.adbin, d.adrelid), 'stored', a.attgenerated = 's',
                      'renamed_from', CASE WHEN a.attnum <= before AND names[a.attnum] <> a.attname THEN names[a.attnum] END,
                      -- How many of the columns above come before it: a follower making the table puts it there.
                      'place', (SELECT count(*) FROM pg_attribute b WHERE b.attrelid = a.attrelid AND b.attnum > 0
                                                        AND b.attnum < a.attnum AND NOT b.attisdropped AND b.attgenerated = ''))
                      ORDER BY a.attnum)
                    FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated <> ''))::text)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel;
END $f$;
-- A partition made logged, for each publication that publishes it through a table above it (FOR ALL TABLES WITH
-- publish_via_partition_root: capture's own when it lists no tables): that table's message saying the partition's rows
-- are gone from it (partitions_gone: what its followers kept of them from before the partition was made unlogged), then
-- the rows the partition holds now, added there (joined). Publications that publish it as itself take it as any table
-- made logged (sluice.emit_ddl).
CREATE OR REPLACE FUNCTION sluice.emit_logged_partition(rel oid) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $f$
DECLARE root oid := pg_partition_root(rel);
BEGIN
  PERFORM sluice.emit_table(x.target, false, '{}', '[]',
                            json_build_array(json_build_object('table', json_build_array(n.nspname, k.relname),
                                                               'rows', sluice.partition_rows(rel), 'collated', sluice.collated_bounds(rel))),
                            false)
     FROM (SELECT DISTINCT sluice.published_as(rel, root, p.pubname) AS target FROM pg_publication p) x
     JOIN pg_class k ON k.oid = rel JOIN pg_namespace n ON n.oid = k.relnamespace
    WHERE x.target IS NOT NULL AND x.target <> rel;
  PERFORM sluice.write_rows(rel, sluice.rows_header(rel, root, p.pubname, a.target)::jsonb || '{"joined": true}', root,
                            (sluice.published_rows(p.pubname, a.target)).filter, false)
     FROM pg_publication p CROSS JOIN LATERAL (SELECT sluice.published_as(rel, root, p.pubname) AS target) a
    WHERE a.target IS NOT NULL AND a.target <> rel;
END $f$;
CREATE OR REPLACE FUNCTION sluice.emit_ddl() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS $f$
DECLARE r record; renamed jsonb; reported jsonb; gone json; made_logged boolean; tables jsonb; carried oid[];
BEGIN
  -- Types this command renamed or moved, by their new [schema, name]: their old names — a renamed schema's too.
  SELECT coalesce(jsonb_object_agg(json_build_array(n.nspname, y.typname)::text, w.was), '{}') INTO renamed
    FROM (SELECT DISTINCT CASE WHEN d.classid = 'pg_class'::regclass THEN (SELECT k.reltype FROM pg_class k WHERE k.oid = d.objid)
                               ELSE d.objid END AS typ
            FROM pg_event_trigger_ddl_commands() d WHERE d.command_tag IN ('ALTER TYPE', 'ALTER DOMAIN')
          UNION
          SELECT t.typid FROM pg_event_trigger_ddl_commands() d JOIN pg_namespace s ON s.oid = d.objid
            JOIN pg_type y ON y.typnamespace = d.objid JOIN sluice.type_name t ON t.typid = y.oid AND t.nspname <> s.nspname
           WHERE d.command_tag = 'ALTER SCHEMA') a
    CROSS JOIN LATERAL (SELECT sluice.remember_type_name(a.typ) AS was) w
    JOIN pg_type y ON y.oid = a.typ JOIN pg_namespace n ON n.oid = y.typnamespace
   WHERE w.was IS NOT NULL;
  SELECT coalesce(jsonb_agg(jsonb_build_object('rel', d.objid, 'name', a.attname)), '[]') INTO reported
    FROM pg_event_trigger_ddl_commands() d JOIN pg_attribute a ON a.attrelid = d.objid AND a.attnum = d.objsubid
   WHERE d.object_type = 'table column';
  SELECT coalesce(jsonb_agg(jsonb_build_object('objid', q.objid, 'created', q.created)), '[]') INTO tables
    FROM (SELECT d.objid, bool_or(d.command_tag <> 'ALTER TABLE') AS created FROM pg_event_trigger_ddl_commands() d
            JOIN pg_class c ON c.oid = d.objid
            JOIN pg_namespace cn ON cn.oid = c.relnamespace
           WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't'
             AND (d.command_tag = 'ALTER TABLE'
                  -- a created table only when a publication (FOR ALL TABLES, FOR TABLES IN SCHEMA) already has it
                  OR d.command_tag IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO') AND EXISTS (
                     SELECT 1 FROM pg_publication_tables pt WHERE pt.schemaname = cn.nspname AND pt.tablename = c.relname))
           GROUP BY d.objid
           -- The tables that inherit from it too — a partitioned table's partitions, for a publication that
           -- publishes them, and a parent's children, which it publishes: the ALTER recursed into them, and
           -- their own definitions (missing values, renamed columns) changed with it.
           UNION
           SELECT t.relid, false FROM pg_event_trigger_ddl_commands() d
             CROSS JOIN LATERAL sluice.inheritors(d.objid) t(relid)
             JOIN pg_class k ON k.oid = t.relid AND k.relkind IN ('r', 'p') AND k.relpersistence <> 't'
            WHERE d.command_tag = 'ALTER TABLE'
           -- An altered type or domain (an enum's labels, a domain's constraints, a composite's
           -- attributes): the definition of every table that uses it, as of this transaction.
           UNION
           SELECT u.rel, false FROM pg_event_trigger_ddl_commands() d
             CROSS JOIN LATERAL sluice.type_users(CASE WHEN d.classid = 'pg_class'::regclass
                 THEN (SELECT k.reltype FROM pg_class k WHERE k.oid = d.objid) ELSE d.objid END) u(rel)
            WHERE d.command_tag IN ('ALTER TYPE', 'ALTER DOMAIN')
           -- A renamed schema: its tables, and the tables that use its types.
           UNION
           SELECT c.oid, false FROM pg_event_trigger_ddl_commands() d JOIN pg_namespace s ON s.oid = d.objid
             JOIN pg_class c ON c.relnamespace = d.objid AND c.relkind IN ('r', 'p') AND c.relpersistence <> 't'
             JOIN sluice.table_name t ON t.relid = c.oid AND t.nspname <> s.nspname
            WHERE d.command_tag = 'ALTER SCHEMA'
           UNION
           SELECT u.rel, false FROM jsonb_object_keys(renamed) k(name)
             JOIN pg_type y ON true JOIN pg_namespace yn ON yn.oid = y.typnamespace
              AND json_build_array(yn.nspname, y.typname)::text = k.name
             CROSS JOIN LATERAL sluice.type_users(y.oid) u(rel)
            WHERE EXISTS (SELECT FROM pg_event_trigger_ddl_commands() d WHERE d.command_tag = 'ALTER SCHEMA')
           -- The partitioned table at the top of an altered partition's tree: a partition may have
           -- been attached to it, or detached.
           UNION
           SELECT pg_partition_root(d.objid), false FROM pg_event_trigger_ddl_commands() d JOIN pg_class k ON k.oid = d.objid
            WHERE d.command_tag = 'ALTER TABLE' AND k.relkind = 'p' AND k.relispartition) q;
  -- Rows left with values no follower can compute (sluice.rows_unknowable): they are written as they are now, for
  -- each publication that publishes them — a follower's table emptied first (so it takes the change with no values
  -- to convert), then the command's messages, which say the rows follow, then the rows.
  -- One call per table of the command: joined to pg_class, the call could be planned on every row of it.
  SELECT coalesce(array_agg((e.t ->> 'objid')::oid), '{}') INTO carried FROM jsonb_array_elements(tables) e(t)
   WHERE CASE WHEN (e.t ->> 'created')::boolean THEN false ELSE sluice.rows_unknowable((e.t ->> 'objid')::oid) END;
  PERFORM sluice.emit('sluice.rows', (sluice.rows_header(x.leaf, x.top, x.pubname, x.target)::jsonb
                                      || jsonb_build_object('truncate', true))::text || E'\n')
     FROM (SELECT DISTINCT ON (a.target, p.pubname) l.leaf, t.top, p.pubname, a.target
             FROM unnest(carried) t(top) CROSS JOIN LATERAL sluice.leaves(t.top) l(leaf) CROSS JOIN pg_publication p
             CROSS JOIN LATERAL (SELECT sluice.published_as(l.leaf, t.top, p.pubname) AS target) a
            WHERE a.target IS NOT NULL) x;
  FOR r IN SELECT (e.t ->> 'objid')::oid AS objid, (e.t ->> 'created')::boolean AS created FROM jsonb_array_elements(tables) e(t) LOOP
    gone := NULL;
    IF EXISTS (SELECT FROM pg_class k WHERE k.oid = r.objid AND k.relkind = 'p' AND NOT k.relispartition) THEN
      -- A column renamed (or dropped): the map holds its partitions' constraints under the old name; read them again.
      IF EXISTS (SELECT FROM sluice.table_name t CROSS JOIN LATERAL (SELECT sluice.column_names(r.objid) AS now) c
                   CROSS JOIN LATERAL unnest(t.column_names) WITH ORDINALITY w(name, n)
                  WHERE t.relid = r.objid AND c.now[w.n] <> w.name) THEN
        UPDATE sluice.table_name SET partition_rows = NULL WHERE partition_root = r.objid;
      END IF;
      gone := sluice.partition_moves(r.objid);
    END IF;
    -- Made logged (ALTER TABLE … SET LOGGED, a bulk load's last step): a publication of every table (FOR ALL
    -- TABLES, FOR TABLES IN SCHEMA) publishes it from now on, and no row change carries the rows it holds.
    made_logged := EXISTS (SELECT FROM sluice.table_name t JOIN pg_class k ON k.oid = t.relid
                            WHERE t.relid = r.objid AND NOT t.logged AND k.relpersistence = 'p' AND k.relkind = 'r');
    PERFORM sluice.emit_table(r.objid, r.created, renamed, reported, gone, coalesce(pg_partition_root(r.objid), r.objid) = ANY (carried));
    IF made_logged THEN
      PERFORM sluice.emit_rows(r.objid, r.objid, pt.pubname) FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace
         JOIN pg_publication_tables pt ON pt.schemaname = n.nspname AND pt.tablename = k.relname WHERE k.oid = r.objid;
      IF EXISTS (SELECT FROM pg_class k WHERE k.oid = r.objid AND k.relispartition) THEN
        PERFORM sluice.emit_logged_partition(r.objid);
      END IF;
    END IF;
  END LOOP;
  PERFORM sluice.emit_rows(l.leaf, t.top, p.pubname)
     FROM unnest(carried) t(top) CROSS JOIN LATERAL sluice.leaves(t.top) l(leaf) CROSS JOIN pg_publication p;
END $f$;
-- What an earlier script had in their place (the column count the names now give).
DROP FUNCTION IF EXISTS sluice.columns_before(oid);
DROP FUNCTION IF EXISTS sluice.emit_rows(oid, oid);
DROP FUNCTION IF EXISTS sluice.emit_table(oid, boolean, jsonb, jsonb, json);
DROP FUNCTION IF EXISTS sluice.row_filter(name, oid);
DROP FUNCTION IF EXISTS sluice.published_columns(name, oid);
ALTER TABLE sluice.table_name DROP COLUMN IF EXISTS columns_seen;
DROP EVENT TRIGGER IF EXISTS sluice_rewrite;
CREATE EVENT TRIGGER sluice_rewrite ON table_rewrite EXECUTE FUNCTION sluice.note_rewrite();
DROP EVENT TRIGGER IF EXISTS sluice_ddl;
-- A created table's definition too: its capture announces it at once, not only with its first row.
CREATE EVENT TRIGGER sluice_ddl ON ddl_command_end WHEN TAG IN ('ALTER TABLE', 'CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO',
                                                           'ALTER TYPE', 'ALTER DOMAIN', 'ALTER SCHEMA')
  EXECUTE FUNCTION sluice.emit_ddl();
DROP EVENT TRIGGER IF EXISTS sluice_names;
CREATE EVENT TRIGGER sluice_names ON ddl_command_end WHEN TAG IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO',
                                                             'CREATE TYPE', 'CREATE DOMAIN', 'CREATE EXTENSION')
  EXECUTE FUNCTION sluice.note_names();
DROP EVENT TRIGGER IF EXISTS sluice_publication;
CREATE EVENT TRIGGER sluice_publication ON ddl_command_end WHEN TAG IN ('ALTER PUBLICATION')
  EXECUTE FUNCTION sluice.note_publication();
DROP EVENT TRIGGER IF EXISTS sluice_before;
CREATE EVENT TRIGGER sluice_before ON ddl_command_start WHEN TAG IN ('ALTER TABLE', 'ALTER TYPE', 'ALTER DOMAIN', 'ALTER SCHEMA',
                                                                   'ALTER PUBLICATION',
                                                                   'DROP TABLE', 'DROP SCHEMA', 'DROP OWNED', 'DROP TYPE',
                                                                   'DROP DOMAIN', 'DROP EXTENSION')
  EXECUTE FUNCTION sluice.before_ddl();
DROP EVENT TRIGGER IF EXISTS sluice_drops;
CREATE EVENT TRIGGER sluice_drops ON sql_drop WHEN TAG IN ('DROP TABLE', 'DROP SCHEMA', 'DROP OWNED', 'DROP TYPE', 'DROP DOMAIN',
                                                     'DROP EXTENSION')
  EXECUTE FUNCTION sluice.drop_names();
-- No role but the owner runs the functions above (read_message_key checks its caller itself), nor reads or
-- writes the tables and the key: the triggers run with the owner's rights, and a message they write is
-- signed — a function called directly, or a map written, would get a message of the caller's choosing
-- signed. Revoked from PUBLIC and from any role a default privilege gave them to.
DO $revoke$
DECLARE o record; g regrole;
BEGIN
  FOR o IN SELECT format('FUNCTION %s', p.oid::regprocedure) AS name, p.proacl AS acl, p.proowner AS owner FROM pg_proc p
            WHERE p.pronamespace = 'sluice'::regnamespace AND p.proname = ANY ('{set_mark,mark,emit,emit_drop,column_names,partition_rows,collated_bounds,fill_names,names_before,inheritors,copy_text,
        emit_rows,published_itself,emit_joined,published_rows,write_rows,rows_header,published_as,before_ddl,volatile_rewrite,using_rewrite,leaves,rows_unknowable,partition_moves,note_truncate,guard_truncates,has_rows,existing_value,remember_name,
        partition_root_of,forget_name,fill_type_names,remember_type_name,forget_type_name,note_names,
        dropped_from,drop_names,note_publication,note_rewrite,type_text,expr_text,check_text,table_types,types_used,table_shape,shape_with_types,type_users,emit_table,
        emit_logged_partition,emit_ddl}'::name[])
           UNION ALL
           SELECT c.oid::regclass::text, c.relacl, c.relowner FROM pg_class c
            WHERE c.oid = ANY (ARRAY['sluice.table_name', 'sluice.type_name', 'sluice.marks', 'sluice.message_key']::regclass[]) LOOP
    EXECUTE format('REVOKE ALL ON %s FROM PUBLIC', o.name);
    FOR g IN SELECT DISTINCT a.grantee FROM aclexplode(o.acl) a WHERE a.grantee NOT IN (0, o.owner) LOOP
      EXECUTE format('REVOKE ALL ON %s FROM %s', o.name, g);
    END LOOP;
  END LOOP;
END $revoke$;
