-- The audit logs' definitions belong to the database administrator. Each service's role owns its
-- schema and creates its audit_log in a migration, with a trigger that makes it append-only; as the
-- owner it could later disable or replace that trigger, add a rule or trigger that swallows new
-- entries, or rename or drop the table. These event triggers refuse all of that to every role but a
-- superuser, outside the transaction that created the table: objects are recognised by their ids,
-- not their names, so renaming one does not free it. Idempotent; run as a superuser in the service
-- database (pkg/pgcluster.Bootstrap, the Compose bootstrap and the Kubernetes cluster's
-- postInitApplicationSQL run this same text).
CREATE SCHEMA IF NOT EXISTS livslang_guard;
REVOKE ALL ON SCHEMA livslang_guard FROM PUBLIC;
-- The transactions that created an audit log (they may shape it), and what they made of it.
CREATE TABLE IF NOT EXISTS livslang_guard.creating (xid xid8 PRIMARY KEY);
CREATE TABLE IF NOT EXISTS livslang_guard.guarded (classid oid NOT NULL, objid oid NOT NULL, PRIMARY KEY (classid, objid));
-- Audit logs made before this guard existed: the table, its indexes, triggers and their functions.
INSERT INTO livslang_guard.guarded
    SELECT 'pg_class'::regclass, c.oid FROM pg_class c WHERE c.relname = 'audit_log' AND c.relkind = 'r'
    UNION SELECT 'pg_class'::regclass, i.indexrelid FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
        WHERE c.relname = 'audit_log' AND c.relkind = 'r'
    UNION SELECT 'pg_trigger'::regclass, t.oid FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relname = 'audit_log' AND c.relkind = 'r' AND NOT t.tgisinternal
    UNION SELECT 'pg_proc'::regclass, t.tgfoid FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relname = 'audit_log' AND c.relkind = 'r' AND NOT t.tgisinternal
    ON CONFLICT DO NOTHING;

-- is_guarded says whether DDL on an object touches an audit log: one of its objects, or a new trigger,
-- rule, policy or index on its table.
CREATE OR REPLACE FUNCTION livslang_guard.is_guarded(cls oid, obj oid) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
    SELECT EXISTS (SELECT 1 FROM livslang_guard.guarded g WHERE g.classid = cls AND g.objid = obj)
        OR EXISTS (SELECT 1 FROM livslang_guard.guarded g WHERE g.classid = 'pg_class'::regclass AND g.objid = (
            CASE cls
                WHEN 'pg_trigger'::regclass THEN (SELECT tgrelid FROM pg_trigger WHERE oid = obj)
                WHEN 'pg_rewrite'::regclass THEN (SELECT ev_class FROM pg_rewrite WHERE oid = obj)
                WHEN 'pg_policy'::regclass THEN (SELECT polrelid FROM pg_policy WHERE oid = obj)
                WHEN 'pg_class'::regclass THEN (SELECT indrelid FROM pg_index WHERE indexrelid = obj)
            END))
$$;

-- exempt says whether this transaction may change audit logs' definitions: a superuser's, or the one
-- that created an audit log.
CREATE OR REPLACE FUNCTION livslang_guard.exempt() RETURNS boolean
LANGUAGE sql VOLATILE SET search_path = pg_catalog AS $$
    SELECT coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false)
        OR EXISTS (SELECT 1 FROM livslang_guard.creating WHERE xid = pg_current_xact_id())
$$;

CREATE OR REPLACE FUNCTION livslang_guard.audit_ddl() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    c record;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands()
               WHERE command_tag = 'CREATE TABLE' AND object_identity LIKE '%.audit\_log') THEN
        INSERT INTO livslang_guard.creating VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
    END IF;
    IF EXISTS (SELECT 1 FROM livslang_guard.creating WHERE xid = pg_current_xact_id()) THEN
        INSERT INTO livslang_guard.guarded
            SELECT classid, objid FROM pg_event_trigger_ddl_commands() WHERE object_identity LIKE '%audit\_log%'
            ON CONFLICT DO NOTHING;
    END IF;
    IF livslang_guard.exempt() THEN
        RETURN;
    END IF;
    FOR c IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
        IF livslang_guard.is_guarded(c.classid, c.objid) THEN
            RAISE EXCEPTION 'the audit log''s definition is the database administrator''s: % % refused', c.command_tag, c.object_identity
                USING ERRCODE = '42501';
        END IF;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION livslang_guard.audit_drop() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    d record;
BEGIN
    IF livslang_guard.exempt() THEN
        RETURN;
    END IF;
    FOR d IN SELECT * FROM pg_event_trigger_dropped_objects() o
             WHERE EXISTS (SELECT 1 FROM livslang_guard.guarded g WHERE g.classid = o.classid AND g.objid = o.objid) LOOP
        RAISE EXCEPTION 'the audit log''s definition is the database administrator''s: dropping % % refused', d.object_type, d.object_identity
            USING ERRCODE = '42501';
    END LOOP;
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'livslang_audit_ddl') THEN
        CREATE EVENT TRIGGER livslang_audit_ddl ON ddl_command_end EXECUTE FUNCTION livslang_guard.audit_ddl();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'livslang_audit_drop') THEN
        CREATE EVENT TRIGGER livslang_audit_drop ON sql_drop EXECUTE FUNCTION livslang_guard.audit_drop();
    END IF;
END
$$;
