-- Sluice: DDL captured as it happened (docs/capture.md). Capture runs this itself when its role is a
-- superuser; otherwise run it once as one, in the captured database: psql -d DB -f ddl-capture.sql
CREATE SCHEMA IF NOT EXISTS sluice;
CREATE OR REPLACE FUNCTION sluice.note_rewrite() RETURNS event_trigger LANGUAGE plpgsql AS $f$
BEGIN
  PERFORM set_config('sluice.rewrite_' || pg_event_trigger_table_rewrite_oid(),
                     pg_event_trigger_table_rewrite_reason()::text, true);
END $f$;
CREATE OR REPLACE FUNCTION sluice.emit_ddl() RETURNS event_trigger LANGUAGE plpgsql
  SET DateStyle = 'ISO, MDY' SET IntervalStyle = 'postgres' SET extra_float_digits = 3 SET bytea_output = 'hex'
  AS $f$
DECLARE r record;
BEGIN
  FOR r IN SELECT DISTINCT d.objid FROM pg_event_trigger_ddl_commands() d
            JOIN pg_class c ON c.oid = d.objid
           WHERE d.command_tag = 'ALTER TABLE' AND c.relkind IN ('r', 'p') LOOP
    PERFORM pg_logical_emit_message(true, 'sluice.ddl', json_build_object(
      'table', json_build_array(n.nspname, c.relname),
      'volatile_rewrite', coalesce(current_setting('sluice.rewrite_' || c.oid, true), '0')::int & 2 <> 0,
      'renamed_columns', (SELECT coalesce(json_agg(a.attname), '[]'::json) FROM pg_event_trigger_ddl_commands() d2
                            JOIN pg_attribute a ON a.attrelid = d2.objid AND a.attnum = d2.objsubid
                           WHERE d2.objid = c.oid AND d2.object_type = 'table column'),
      'using_expression', coalesce(current_setting('sluice.rewrite_' || c.oid, true), '0')::int & 4 <> 0
                          AND current_query() ~* '\yusing\y',
      'columns', (SELECT json_agg(json_build_object('name', a.attname,
                      'type', format_type(a.atttypid, a.atttypmod), 'nullable', NOT a.attnotnull,
                      'missing', CASE WHEN a.atthasmissing THEN (a.attmissingval::text::text[])[1] END,
                      'has_default', a.atthasdef)
                      ORDER BY a.attnum)
                    FROM pg_attribute a
                   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''),
      'generated', (SELECT json_agg(json_build_object('name', a.attname,
                      'type', format_type(a.atttypid, a.atttypmod), 'nullable', NOT a.attnotnull,
                      'expression', pg_get_expr(d.adbin, d.adrelid), 'stored', a.attgenerated = 's')
                      ORDER BY a.attnum)
                    FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated <> ''))::text)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = r.objid;
  END LOOP;
END $f$;
DROP EVENT TRIGGER IF EXISTS sluice_rewrite;
CREATE EVENT TRIGGER sluice_rewrite ON table_rewrite EXECUTE FUNCTION sluice.note_rewrite();
DROP EVENT TRIGGER IF EXISTS sluice_ddl;
CREATE EVENT TRIGGER sluice_ddl ON ddl_command_end WHEN TAG IN ('ALTER TABLE') EXECUTE FUNCTION sluice.emit_ddl();
