package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/pgdb"
	"livslang.dk/pkg/poll"
	"livslang.dk/services/registration/internal/enrolment"
)

// AnswerOffer is the citizen's answer to an offered seat: accepting goes on to funding like any
// request; declining leaves the list and the seat is offered to the next.
func (s *Store) AnswerOffer(ctx context.Context, id uuid.UUID, citizenID string, accept bool) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		return s.update(ctx, tx, id, func(e *Enrolment) error {
			if e.CitizenID != citizenID {
				return pgdb.ErrNotFound
			}
			return e.AnswerOffer(accept, s.now(), s.holdExpiry())
		})
	})
	return translate("answer offer", err)
}

// expire applies end to the enrolments in status whose time (column) has passed: the seat goes on
// to the next in line. It returns how many it ended.
func (s *Store) expire(ctx context.Context, status enrolment.Status, column string, end func(*Enrolment, time.Time) (bool, error)) (int, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM enrolments WHERE status = $1 AND `+column+` < $2
		ORDER BY `+column+` LIMIT 100`, status, s.now())
	if err != nil {
		return 0, fmt.Errorf("due %s: %w", status, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return 0, fmt.Errorf("due %s: %w", status, err)
	}
	done := 0
	for _, id := range ids {
		ended := false
		err := s.tx(ctx, func(tx pgx.Tx) error {
			return s.update(ctx, tx, id, func(e *Enrolment) error { // answered meanwhile: nothing to end
				var err error
				ended, err = end(e, s.now())
				return err
			})
		})
		if err != nil {
			return done, translate("expire "+string(status), err)
		}
		if ended {
			done++
		}
	}
	return done, nil
}

// ExpireOffers passes offers nobody answered in time to the next in line.
func (s *Store) ExpireOffers(ctx context.Context) (int, error) {
	return s.expire(ctx, enrolment.Offered, "offer_expires_at", (*Enrolment).ExpireOffer)
}

// ExpireHolds releases seats whose funding step did not finish in time.
func (s *Store) ExpireHolds(ctx context.Context) (int, error) {
	return s.expire(ctx, enrolment.Pending, "hold_expires_at", (*Enrolment).ExpireHold)
}

// Rank is a request's place in a ballot: the SHA-256 of seed, ":" and the enrolment id, in hex.
// Anyone with the published seed and the ids can recompute the order.
func Rank(seed string, enrolmentID uuid.UUID) string {
	sum := sha256.Sum256([]byte(seed + ":" + enrolmentID.String()))
	return hex.EncodeToString(sum[:])
}

// DrawBallots draws every run whose ballot window has closed: the window's requests are ordered by
// Rank with a fresh random seed (within priority groups), seats go to the first in that order, and
// the seed is published on the run. It returns how many runs it drew.
func (s *Store) DrawBallots(ctx context.Context) (int, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM course_runs WHERE ballot_minutes > 0 AND ballot_drawn_at IS NULL
		AND opens_at + make_interval(mins => ballot_minutes) <= $1`, s.now())
	if err != nil {
		return 0, fmt.Errorf("due ballots: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return 0, fmt.Errorf("due ballots: %w", err)
	}
	for _, id := range ids {
		if err := s.tx(ctx, func(tx pgx.Tx) error { return s.draw(ctx, tx, id) }); err != nil {
			return 0, translate("draw ballot", err)
		}
	}
	return len(ids), nil
}

func (s *Store) draw(ctx context.Context, tx pgx.Tx, courseID uuid.UUID) error {
	c, err := s.lockCourse(ctx, tx, courseID)
	if err != nil || c.BallotDrawnAt != nil {
		return err
	}
	seedBytes := make([]byte, 32)
	if _, err := rand.Read(seedBytes); err != nil {
		return err
	}
	seed := hex.EncodeToString(seedBytes)
	end := c.OpensAt.Add(time.Duration(c.BallotMinutes) * time.Minute)
	rows, err := tx.Query(ctx, `SELECT id FROM enrolments WHERE course_id = $1 AND status = 'waitlisted'
		AND requested_at < $2 FOR UPDATE`, courseID, end)
	if err != nil {
		return err
	}
	entrants, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return err
	}
	sort.Slice(entrants, func(i, j int) bool { return Rank(seed, entrants[i]) < Rank(seed, entrants[j]) })
	for i, id := range entrants {
		if _, err := tx.Exec(ctx, `UPDATE enrolments SET draw_rank = $2 WHERE id = $1`, id, i+1); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE course_runs SET ballot_seed = $2, ballot_drawn_at = $3 WHERE id = $1`, courseID, seed, s.now()); err != nil {
		return err
	}
	// The winners take the free seats at once: they asked in the window and need no offer.
	for free := c.SeatsTotal - c.SeatsTaken; free > 0; free-- {
		next, ok, err := s.nextInLine(ctx, tx, courseID)
		if err != nil || !ok {
			return err
		}
		held, err := s.holdSeat(ctx, tx, courseID)
		if err != nil || !held {
			return err
		}
		if err := s.update(ctx, tx, next, func(w *Enrolment) error { return w.WinBallot(s.holdExpiry()) }); err != nil {
			return err
		}
	}
	return nil
}

// Ballot is a drawn ballot, published so anyone can check it.
type Ballot struct {
	Seed    string
	DrawnAt time.Time
	Order   []uuid.UUID // the window's requests in drawn order
}

// GetBallot returns the run's drawn ballot.
func (s *Store) GetBallot(ctx context.Context, courseID uuid.UUID) (Ballot, error) {
	var b Ballot
	var seed *string
	var drawn *time.Time
	if err := s.pool.QueryRow(ctx, `SELECT ballot_seed, ballot_drawn_at FROM course_runs WHERE id = $1`, courseID).Scan(&seed, &drawn); err != nil {
		return Ballot{}, translate("get ballot", err)
	}
	if seed == nil || drawn == nil {
		return Ballot{}, fmt.Errorf("%w: this run has no drawn ballot", pgdb.ErrNotFound)
	}
	b.Seed, b.DrawnAt = *seed, *drawn
	rows, err := s.pool.Query(ctx, `SELECT id FROM enrolments WHERE course_id = $1 AND draw_rank IS NOT NULL ORDER BY draw_rank`, courseID)
	if err != nil {
		return Ballot{}, translate("get ballot", err)
	}
	if b.Order, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID]); err != nil {
		return Ballot{}, translate("get ballot", err)
	}
	return b, nil
}

// RunTimers applies every timed rule (institutions' answer deadlines, expired offers and holds,
// ballots to draw) every interval until ctx is done. A failed step is reported and tried again at
// the next tick: nothing is lost, since each step works from what is due in the database.
func (s *Store) RunTimers(ctx context.Context, interval time.Duration, report func(error)) error {
	var never *poll.Waker // the deadlines are found by time alone
	return never.Run(ctx, interval, func(ctx context.Context) bool {
		for _, step := range []func(context.Context) (int, error){s.DrawBallots, s.ExpireOffers, s.ExpireHolds, s.ApplyOverdueAnswers,
			s.ExpireInvitations, s.ExpireDemandOffers} {
			if _, err := step(ctx); err != nil && ctx.Err() == nil {
				report(err)
			}
		}
		return false
	})
}
