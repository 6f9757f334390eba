-- Livslang's database layout, as pkg/pgcluster/bootstrap.go makes it for `make run` and the tests:
-- one database, and per service a login role livslang_<service> owning a schema <service>, with
-- nothing granted to PUBLIC. Idempotent: run it again to change the passwords.
--
-- psql variables (psql -v name=value): registration_password, funding_password, notification_password.
\set ON_ERROR_STOP on

SELECT 'CREATE DATABASE livslang' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'livslang')\gexec
REVOKE ALL ON DATABASE livslang FROM PUBLIC;

SELECT format('CREATE ROLE %I LOGIN', r) FROM unnest(ARRAY['livslang_registration', 'livslang_funding', 'livslang_notification']) r
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r)\gexec
ALTER ROLE livslang_registration LOGIN PASSWORD :'registration_password';
ALTER ROLE livslang_funding LOGIN PASSWORD :'funding_password';
ALTER ROLE livslang_notification LOGIN PASSWORD :'notification_password';
GRANT CONNECT, TEMPORARY ON DATABASE livslang TO livslang_registration, livslang_funding, livslang_notification;

\connect livslang
REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS registration AUTHORIZATION livslang_registration;
CREATE SCHEMA IF NOT EXISTS funding AUTHORIZATION livslang_funding;
CREATE SCHEMA IF NOT EXISTS notification AUTHORIZATION livslang_notification;
ALTER SCHEMA registration OWNER TO livslang_registration;
ALTER SCHEMA funding OWNER TO livslang_funding;
ALTER SCHEMA notification OWNER TO livslang_notification;
-- The audit logs' definitions are the database administrator's (pkg/pgcluster/auditguard.sql).
\i /auditguard.sql
