package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/audit"
	"livslang.dk/pkg/datakeys"
	"livslang.dk/pkg/datarequest"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/fault"
	"livslang.dk/pkg/idempotency"
	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/pii"
)

// Participants are the services that hold a citizen's data; registration asks the others for their part.
var Participants = []string{"registration", "funding", "notification"}

// Service is registration's name as a participant.
const Service = "registration"

// DataRequest is a citizen's request for their data (export) or its erasure, with each service's part.
type DataRequest struct {
	ID          uuid.UUID
	CitizenID   string
	Kind        string // export or erasure
	Status      string // pending, completed, expired (an export whose file was deleted)
	RequestedAt time.Time
	CompletedAt *time.Time
	ExpiresAt   *time.Time // export: when the file is deleted
	Parts       []DataRequestPart
}

// DataRequestPart is one service's part.
type DataRequestPart struct {
	Service     string
	Status      string // pending or completed
	CompletedAt *time.Time
	Report      *events.ErasureReport // erasure
}

// NewDataRequest is a citizen's request, with its idempotency key.
type NewDataRequest struct {
	CitizenID      string
	Kind           string
	IdempotencyKey string
	RequestHash    []byte
}

// RequestData starts a data request: registration does its part at once (its export section, or its
// erasure) and announces the request to the other services in the same transaction. A repeated
// idempotency key with the same request answers as the first time. An erasure is once per citizen;
// after it nothing more can be asked (410). The key keeps the request's id, kind and status as created
// (under "data_request").
func (s *Store) RequestData(ctx context.Context, n NewDataRequest) (Kept[DataRequest], error) {
	var out Kept[DataRequest]
	err := s.tx(ctx, func(tx pgx.Tx) error {
		prior, err := idempotency.Claim(ctx, tx, n.CitizenID, n.IdempotencyKey, n.RequestHash)
		if err != nil {
			return err
		}
		if prior != nil {
			out = replay[DataRequest]("data_request", prior)
			return nil
		}
		// The profile's row (if any) is locked so no profile change or enrolment runs alongside.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM citizens WHERE id = $1 FOR UPDATE`, n.CitizenID); err != nil {
			return err
		}
		var erasure uuid.UUID
		switch err := tx.QueryRow(ctx, `SELECT id FROM data_requests WHERE citizen_id = $1 AND kind = 'erasure'`,
			n.CitizenID).Scan(&erasure); {
		case err == nil && n.Kind == events.DataErasure:
			return fmt.Errorf("%w: your data's erasure was already requested (data request %s)", fault.Conflict, erasure)
		case err == nil:
			return datakeys.ErrErased
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		now := s.now()
		r := DataRequest{ID: uuid.New(), CitizenID: n.CitizenID, Kind: n.Kind, Status: "pending", RequestedAt: now}
		if _, err := tx.Exec(ctx, `INSERT INTO data_requests (id, citizen_id, kind, requested_at) VALUES ($1, $2, $3, $4)`,
			r.ID, r.CitizenID, r.Kind, now); err != nil {
			return fmt.Errorf("insert data request: %w", err)
		}
		for _, svc := range Participants {
			if _, err := tx.Exec(ctx, `INSERT INTO data_request_parts (request_id, service) VALUES ($1, $2)`, r.ID, svc); err != nil {
				return fmt.Errorf("insert data request part: %w", err)
			}
			r.Parts = append(r.Parts, DataRequestPart{Service: svc, Status: "pending"})
		}
		announced := events.DataRequest{RequestID: r.ID.String(), CitizenID: r.CitizenID, Kind: r.Kind, RequestedAt: now}
		if r.Kind == events.DataExport {
			if announced.ExportKey, err = s.startExport(ctx, tx, r); err != nil {
				return err
			}
		}
		// The request goes out before the erasure's own events (the cancelled enrolments), so a
		// service that reads the stream in order erases first and keeps nothing those events carry.
		if _, err := s.publish(ctx, tx, events.TypeDataRequestRequested, events.SubjectDataRequestRequested, r.ID.String(), announced); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Entry{CitizenID: n.CitizenID, ActorRole: "citizen", ActorID: n.CitizenID,
			Action: audit.Change, Resource: "data_request", ResourceID: r.ID.String(),
			Purpose: "the citizen asked for " + map[string]string{events.DataExport: "a copy of their data", events.DataErasure: "the erasure of their data"}[r.Kind]}); err != nil {
			return err
		}
		if r.Kind == events.DataErasure {
			report, err := s.erase(ctx, tx, r, n.IdempotencyKey)
			if err != nil {
				return err
			}
			if err := s.completePart(ctx, tx, &r, Service, nil, &report); err != nil {
				return err
			}
		}
		kept, err := keep("data_request", DataRequest{ID: r.ID, Kind: r.Kind, Status: r.Status, RequestedAt: r.RequestedAt})
		if err != nil {
			return err
		}
		out = Kept[DataRequest]{Value: r}
		return idempotency.Complete(ctx, tx, n.CitizenID, n.IdempotencyKey, http.StatusAccepted, kept)
	})
	return out, translate("request data", err)
}

func exportKeyAAD(id uuid.UUID) []byte {
	return []byte("registration.data_requests.export_key\x00" + id.String())
}
func sectionAAD(id uuid.UUID, svc string) []byte {
	return []byte("registration.data_request_parts.section\x00" + id.String() + "\x00" + svc)
}

// startExport makes the request's one-time export key, keeps its private half sealed with the
// citizen's data key, adds registration's own section, and returns the public half (base64).
func (s *Store) startExport(ctx context.Context, tx pgx.Tx, r DataRequest) (string, error) {
	key, err := s.ring.ForWriting(ctx, tx, r.CitizenID)
	if err != nil {
		return "", err
	}
	private, public, err := pii.NewExportKey()
	if err != nil {
		return "", err
	}
	sealed, err := key.Seal(private, exportKeyAAD(r.ID))
	if err != nil {
		return "", err
	}
	if _, err := tx.Exec(ctx, `UPDATE data_requests SET export_key_sealed = $2 WHERE id = $1`, r.ID, sealed); err != nil {
		return "", fmt.Errorf("store export key: %w", err)
	}
	section, err := s.exportSection(ctx, tx, r.CitizenID)
	if err != nil {
		return "", err
	}
	raw, err := json.Marshal(section)
	if err != nil {
		return "", fmt.Errorf("marshal registration's section: %w", err)
	}
	if err := s.completePart(ctx, tx, &r, Service, raw, nil); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(public), nil
}

// completePart records a service's part (its section, sealed with the citizen's data key, or its
// report) and completes the request when it was the last.
func (s *Store) completePart(ctx context.Context, tx pgx.Tx, r *DataRequest, svc string, section []byte, report *events.ErasureReport) error {
	var sealed, reportJSON []byte
	if section != nil {
		key, err := s.ring.ForReading(ctx, tx, r.CitizenID)
		if err != nil {
			return err
		}
		if sealed, err = key.Seal(section, sectionAAD(r.ID, svc)); err != nil {
			return err
		}
	}
	if report != nil {
		var err error
		if reportJSON, err = json.Marshal(report); err != nil {
			return fmt.Errorf("marshal erasure report: %w", err)
		}
	}
	now := s.now()
	if _, err := tx.Exec(ctx, `UPDATE data_request_parts SET status = 'completed', section = $3, report = $4, completed_at = $5
		WHERE request_id = $1 AND service = $2`, r.ID, svc, sealed, reportJSON, now); err != nil {
		return fmt.Errorf("complete data request part: %w", err)
	}
	var pending int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM data_request_parts WHERE request_id = $1 AND status = 'pending'`,
		r.ID).Scan(&pending); err != nil {
		return fmt.Errorf("count pending parts: %w", err)
	}
	if pending > 0 {
		return nil
	}
	var expires *time.Time
	if r.Kind == events.DataExport {
		t := s.Retention.Exports.After(now)
		expires = &t
	}
	if _, err := tx.Exec(ctx, `UPDATE data_requests SET status = 'completed', completed_at = $2, expires_at = $3 WHERE id = $1`,
		r.ID, now, expires); err != nil {
		return fmt.Errorf("complete data request: %w", err)
	}
	return nil
}

// ApplyDataAnswer records another service's answer to a data request: an erasure report, or a chunk
// of an export section; when the last chunk is in, the section is opened with the request's export
// key and kept sealed with the citizen's data key. An answer to a request that is gone (an export
// the citizen's erasure removed) changes nothing.
func (s *Store) ApplyDataAnswer(ctx context.Context, tx pgx.Tx, a events.DataRequestAnswered) error {
	id, err := uuid.Parse(a.RequestID)
	if err != nil || !slices.Contains(Participants, a.Service) || a.Service == Service {
		return fmt.Errorf("%w: request_id %q, service %q", events.ErrMalformed, a.RequestID, a.Service)
	}
	var r DataRequest
	var exportKey []byte
	err = tx.QueryRow(ctx, `SELECT id, citizen_id, kind, export_key_sealed FROM data_requests WHERE id = $1 FOR UPDATE`, id).
		Scan(&r.ID, &r.CitizenID, &r.Kind, &exportKey)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	} else if err != nil {
		return fmt.Errorf("read data request: %w", err)
	}
	var status string
	if err := tx.QueryRow(ctx, `SELECT status FROM data_request_parts WHERE request_id = $1 AND service = $2`, id, a.Service).
		Scan(&status); err != nil {
		return fmt.Errorf("read data request part: %w", err)
	}
	if status == "completed" {
		return nil
	}
	if r.Kind == events.DataErasure {
		if a.Report == nil {
			return fmt.Errorf("%w: an erasure answer without a report", events.ErrMalformed)
		}
		return s.completePart(ctx, tx, &r, a.Service, nil, a.Report)
	}
	chunk, err := base64.StdEncoding.DecodeString(a.Section)
	if err != nil || a.Chunks < 1 || a.Chunk < 0 || a.Chunk >= a.Chunks {
		return fmt.Errorf("%w: export chunk %d of %d", events.ErrMalformed, a.Chunk, a.Chunks)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO data_request_chunks (request_id, service, chunk, chunks, data) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT DO NOTHING`, id, a.Service, a.Chunk, a.Chunks, chunk); err != nil {
		return fmt.Errorf("store export chunk: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT data FROM data_request_chunks WHERE request_id = $1 AND service = $2 ORDER BY chunk`, id, a.Service)
	if err != nil {
		return fmt.Errorf("read export chunks: %w", err)
	}
	chunks, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return fmt.Errorf("read export chunks: %w", err)
	}
	if len(chunks) < a.Chunks {
		return nil // more to come
	}
	key, err := s.ring.ForReading(ctx, tx, r.CitizenID)
	if err != nil {
		return err
	}
	private, err := key.Open(exportKey, exportKeyAAD(r.ID))
	if err != nil {
		return fmt.Errorf("open export key: %w", err)
	}
	section, err := pii.OpenExport(private, datarequest.Info(a.RequestID, a.Service), slices.Concat(chunks...))
	if err != nil {
		return fmt.Errorf("%w: %s's section: %v", events.ErrMalformed, a.Service, err)
	}
	if !json.Valid(section) {
		return fmt.Errorf("%w: %s's section is not JSON", events.ErrMalformed, a.Service)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM data_request_chunks WHERE request_id = $1 AND service = $2`, id, a.Service); err != nil {
		return fmt.Errorf("delete export chunks: %w", err)
	}
	return s.completePart(ctx, tx, &r, a.Service, section, nil)
}

// DataRequests lists the citizen's data requests, newest first.
func (s *Store) DataRequests(ctx context.Context, citizenID string) ([]DataRequest, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM data_requests WHERE citizen_id = $1 ORDER BY requested_at DESC LIMIT 100`, citizenID)
	if err != nil {
		return nil, translate("list data requests", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, translate("list data requests", err)
	}
	out := make([]DataRequest, 0, len(ids))
	for _, id := range ids {
		r, err := s.GetDataRequest(ctx, citizenID, id)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// GetDataRequest returns one of the citizen's data requests with its parts; another's is not found.
func (s *Store) GetDataRequest(ctx context.Context, citizenID string, id uuid.UUID) (DataRequest, error) {
	r := DataRequest{ID: id}
	err := s.pool.QueryRow(ctx, `SELECT citizen_id, kind, status, requested_at, completed_at, expires_at
		FROM data_requests WHERE id = $1 AND citizen_id = $2`, id, citizenID).
		Scan(&r.CitizenID, &r.Kind, &r.Status, &r.RequestedAt, &r.CompletedAt, &r.ExpiresAt)
	if err != nil {
		return DataRequest{}, translate("get data request", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT service, status, completed_at, report FROM data_request_parts WHERE request_id = $1`, id)
	if err != nil {
		return DataRequest{}, translate("get data request parts", err)
	}
	r.Parts, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (DataRequestPart, error) {
		var p DataRequestPart
		var report []byte
		if err := row.Scan(&p.Service, &p.Status, &p.CompletedAt, &report); err != nil {
			return p, err
		}
		if report != nil {
			p.Report = &events.ErasureReport{}
			return p, json.Unmarshal(report, p.Report)
		}
		return p, nil
	})
	if err != nil {
		return DataRequest{}, translate("get data request parts", err)
	}
	slices.SortFunc(r.Parts, func(a, b DataRequestPart) int {
		return slices.Index(Participants, a.Service) - slices.Index(Participants, b.Service)
	})
	return r, nil
}

// ExportFile is a completed export: one JSON document with a section per service.
func (s *Store) ExportFile(ctx context.Context, citizenID string, id uuid.UUID) ([]byte, error) {
	r, err := s.GetDataRequest(ctx, citizenID, id)
	if err != nil {
		return nil, err
	}
	switch {
	case r.Kind != events.DataExport:
		return nil, pgdb.ErrNotFound
	case r.Status == "expired":
		return nil, fmt.Errorf("%w: the export was deleted at %s; ask for a new one", fault.Gone, r.ExpiresAt.UTC().Format(time.RFC3339))
	case r.Status != "completed":
		return nil, fmt.Errorf("%w: the export is not ready yet", fault.Conflict)
	}
	key, err := s.ring.ForReading(ctx, s.pool, citizenID)
	if err != nil {
		return nil, translate("read data key", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT service, section FROM data_request_parts WHERE request_id = $1`, id)
	if err != nil {
		return nil, translate("read export sections", err)
	}
	sections := map[string]json.RawMessage{}
	var svc string
	var sealed []byte
	if _, err := pgx.ForEachRow(rows, []any{&svc, &sealed}, func() error {
		raw, err := key.Open(sealed, sectionAAD(id, svc))
		if err != nil {
			return fmt.Errorf("open %s's section: %w", svc, err)
		}
		sections[svc] = raw
		return nil
	}); err != nil {
		return nil, translate("read export sections", err)
	}
	return json.MarshalIndent(struct {
		Format      string                     `json:"format"`
		RequestID   string                     `json:"request_id"`
		CitizenID   string                     `json:"citizen_id"`
		RequestedAt time.Time                  `json:"requested_at"`
		CompletedAt *time.Time                 `json:"completed_at"`
		Sections    map[string]json.RawMessage `json:"sections"`
	}{"livslang-export/1", id.String(), citizenID, r.RequestedAt.UTC(), r.CompletedAt, sections}, "", "  ")
}

// Audit appends entries to the audit log.
func (s *Store) Audit(ctx context.Context, entries ...audit.Entry) error {
	return translate("audit", audit.Record(ctx, s.pool, entries...))
}
