// Package migrations embeds each service's SQL migrations; a service applies only its own, to its own
// schema, at start (see pgdb.Migrate).
package migrations

import "embed"

// FS holds registration/, funding/ and notification/, each with NNNN_name.sql files.
//
//go:embed registration/*.sql funding/*.sql notification/*.sql
var FS embed.FS
