package notify

import (
	"context"

	"github.com/jackc/pgx/v5"

	"livslang.dk/pkg/datarequest"
	"livslang.dk/pkg/events"
	"livslang.dk/pkg/outbox"
	"livslang.dk/services/notification/internal/store"
)

// service is notification's name as a participant in data requests.
const service = "notification"

// OnDataRequest answers a citizen's data request in tx: an export with notification's section, sealed
// to the request's key, or an erasure with what was deleted and what is kept and why.
func (n *Notifier) OnDataRequest(ctx context.Context, tx pgx.Tx, req events.DataRequest) error {
	if err := datarequest.Check(req); err != nil {
		return err
	}
	if req.Kind == events.DataExport {
		section, err := n.Store.ExportSection(ctx, tx, req.CitizenID)
		if err != nil {
			return err
		}
		answers, err := datarequest.ExportAnswers(store.Source, service, n.Store.Now(), req, section)
		if err != nil {
			return err
		}
		return outbox.Enqueue(ctx, tx, answers...)
	}
	report, err := n.Store.Erase(ctx, tx, req.CitizenID)
	if err != nil {
		return err
	}
	answer, err := datarequest.ErasureAnswer(store.Source, service, n.Store.Now(), req, report)
	if err != nil {
		return err
	}
	return outbox.Enqueue(ctx, tx, answer)
}
