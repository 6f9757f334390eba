// Package migrations embeds the SQL migrations of the service schemas. Each service applies, to its own
// schema and at start (see pgdb.Migrate), first the shared set and then its own folder:
//
//   - shared/ holds the tables every service has, defined once: the messaging tables (outbox, inbox,
//     parked_messages, idempotency_keys) and the GDPR tables (citizen_keys, audit_log). Its versions
//     are recorded in the schema's shared_migrations, apart from the service's own, so that a later
//     shared file is applied to every schema.
//   - registration/, funding/ and notification/ hold each service's own tables, recorded in the
//     schema's schema_migrations. A service's file may use the shared tables; a shared file must not
//     use a service's tables.
//
// Databases deployed before the shared set created the shared tables with copies in each service's
// folder (0001_messaging.sql and the NNNN_gdpr.sql files). The rule that keeps them working: those
// service versions stay as history (the copied part is removed, the file and its version kept, so
// nothing is renumbered and nothing recorded is re-applied), and the shared files that replace the
// copies (shared/0001 and shared/0002) are idempotent (IF NOT EXISTS, OR REPLACE), so on a deployed
// schema they change nothing and are recorded, and on a fresh one they create exactly what the copies
// created. Shared files after 0002 are ordinary migrations, applied once per schema. The tests in this
// package compare the schemas built both ways (testdata/copied holds the files as deployed).
package migrations

import "embed"

// FS holds shared/, registration/, funding/ and notification/, each with NNNN_name.sql files.
//
//go:embed shared/*.sql registration/*.sql funding/*.sql notification/*.sql
var FS embed.FS
