package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/events"
	"livslang.dk/services/notification/internal/policy"
)

// UpsertCompany keeps a company's contact (its name and e-mail address, sealed with a data key of the
// company's own, and its language) as the recipient policy.CompanyRecipient(cvr), so its messages are
// queued, claimed and listed like a citizen's. version orders the contacts the events carry (the
// event's time): an older one arriving late changes nothing.
func (s *Store) UpsertCompany(ctx context.Context, tx pgx.Tx, c events.Company, version int64) error {
	id := policy.CompanyRecipient(c.CVR)
	sealed, err := s.sealContact(ctx, tx, id, contact{Name: c.Name, Email: c.Email})
	if err != nil {
		return fmt.Errorf("seal company contact: %w", err)
	}
	lang := "da"
	if c.Language == "en" {
		lang = "en"
	}
	_, err = tx.Exec(ctx, `INSERT INTO recipients (id, contact_sealed, language, version)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET contact_sealed = EXCLUDED.contact_sealed, name = NULL, email = NULL, phone = NULL,
			language = EXCLUDED.language, version = EXCLUDED.version, updated_at = now()
		WHERE recipients.version < EXCLUDED.version`,
		id, sealed, lang, version)
	if err != nil {
		return fmt.Errorf("upsert company recipient: %w", err)
	}
	return nil
}

func employeeAAD(citizenID string) []byte {
	return []byte("notification.messages.employee\x00" + citizenID)
}

// SealEmployee seals the name of the citizen a company's message is about with the citizen's data
// key, so the message data holds no readable personal data and the citizen's erasure makes it
// unreadable; an erased citizen is datakeys.ErrErased.
func (s *Store) SealEmployee(ctx context.Context, tx pgx.Tx, citizenID, name string) ([]byte, error) {
	key, err := s.Ring.ForWriting(ctx, tx, citizenID)
	if err != nil {
		return nil, err
	}
	sealed, err := key.Seal([]byte(name), employeeAAD(citizenID))
	if err != nil {
		return nil, fmt.Errorf("seal employee name: %w", err)
	}
	return sealed, nil
}

// OpenEmployee opens a name SealEmployee sealed.
func (s *Store) OpenEmployee(ctx context.Context, citizenID string, sealed []byte) (string, error) {
	key, err := s.Ring.ForReading(ctx, s.Pool, citizenID)
	if err != nil {
		return "", fmt.Errorf("employee's data key: %w", err)
	}
	raw, err := key.Open(sealed, employeeAAD(citizenID))
	if err != nil {
		return "", fmt.Errorf("open employee name: %w", err)
	}
	return string(raw), nil
}

// ForCompany lists a company's messages, newest first.
func (s *Store) ForCompany(ctx context.Context, cvr string, limit int) ([]Message, error) {
	return s.ForRecipient(ctx, policy.CompanyRecipient(cvr), limit)
}

// CompanyCanBeMailed reports whether the company's contact, as kept (the newest of the
// livslang.company.updated.v1 copies and the contacts other events carried), has an e-mail address.
func (s *Store) CompanyCanBeMailed(ctx context.Context, q Querier, cvr string) (bool, error) {
	id := policy.CompanyRecipient(cvr)
	var sealed, wrapped []byte
	err := q.QueryRow(ctx, `SELECT r.contact_sealed, k.wrapped FROM recipients r LEFT JOIN citizen_keys k ON k.citizen_id = r.id
		WHERE r.id = $1`, id).Scan(&sealed, &wrapped)
	if isNoRows(err) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("read company contact: %w", err)
	}
	c, err := s.openContact(id, sealed, wrapped)
	if err != nil {
		return false, fmt.Errorf("company contact: %w", err)
	}
	return c.Email != "", nil
}

// AddInvitee keeps the name and e-mail address of an employee a company invited, sealed with a data
// key of the invitation's own, as the recipient policy.InvitationRecipient(invitationID), in Danish
// (the employee's language is not known; the message is bilingual). An invitation's contact never
// changes: a second one changes nothing.
func (s *Store) AddInvitee(ctx context.Context, tx pgx.Tx, invitationID, name, email string) error {
	id := policy.InvitationRecipient(invitationID)
	sealed, err := s.sealContact(ctx, tx, id, contact{Name: name, Email: email})
	if err != nil {
		return fmt.Errorf("seal invitee contact: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO recipients (id, contact_sealed, language, version) VALUES ($1, $2, 'da', 1)
		ON CONFLICT (id) DO NOTHING`, id, sealed); err != nil {
		return fmt.Errorf("add invitee recipient: %w", err)
	}
	return nil
}
