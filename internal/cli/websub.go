package cli

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/feedpub/feedpub/internal/config"
	"github.com/feedpub/feedpub/internal/store"
	"github.com/feedpub/feedpub/internal/websub"
)

// WebSub around a scan: the scan records the pings owed (store.Ping);
// scanOnce reads them back once the feeds are published and the summary
// logged; `feedpub scan` then sends them, waiting at most --hub-wait, and
// `feedpub serve` hands them to a background queue. What the hubs
// acknowledged is removed from the store afterwards (by scan) or when the
// next scan opens it (by serve, whose store is open only while it scans).

func newNotifier(cfg config.Config, log *slog.Logger, m *websub.Metrics) *websub.Notifier {
	return websub.New(websub.Options{Attempts: cfg.HubAttempts, Log: log, Metrics: m})
}

// owedPings returns the pings the store owes to the configured hubs.
// Pings owed to a hub no longer configured are dropped, with a warning:
// nobody would send them.
func owedPings(db *store.DB, cfg config.Config, log *slog.Logger) ([]store.Ping, error) {
	var all []store.Ping
	if err := db.View(func(tx *store.Tx) error {
		var err error
		all, err = tx.Pings()
		return err
	}); err != nil {
		return nil, fmt.Errorf("read the hub notifications owed: %w", err)
	}
	owed := make([]store.Ping, 0, len(all))
	var stale []store.Ping
	for _, p := range all {
		if slices.Contains(cfg.Hubs, p.Hub) {
			owed = append(owed, p)
		} else {
			stale = append(stale, p)
		}
	}
	if len(stale) > 0 {
		if err := db.Update(func(tx *store.Tx) error { _, err := tx.AckPings(stale); return err }); err != nil {
			return owed, fmt.Errorf("drop the notifications owed to hubs no longer configured: %w", err)
		}
		log.Warn("dropped the notifications owed to hubs no longer configured", "pings", len(stale))
	}
	return owed, nil
}

// ackPings removes the pings the hubs acknowledged from the store.
func ackPings(db *store.DB, acked []store.Ping) error {
	if len(acked) == 0 {
		return nil
	}
	if err := db.Update(func(tx *store.Tx) error { _, err := tx.AckPings(acked); return err }); err != nil {
		return fmt.Errorf("remove the hub notifications sent: %w", err)
	}
	return nil
}

// sendOwed is `feedpub scan`'s WebSub step, after the scan closed the
// store: it sends the pings owed, waiting at most cfg.HubWait, then opens
// the store again to remove those acknowledged. What is not sent stays
// owed, for the next scan (or feedpub serve's next scan) to send.
func sendOwed(ctx context.Context, log *slog.Logger, cfg config.Config, owed []store.Ping) {
	if len(owed) == 0 {
		return
	}
	if cfg.HubWait == 0 {
		log.Info("hub notifications left for the next scan (hub wait is 0)", "owed", len(owed))
		return
	}
	wctx, cancel := context.WithTimeout(ctx, cfg.HubWait)
	res := newNotifier(cfg, log, nil).Send(wctx, owed)
	cut := wctx.Err() != nil
	cancel()
	websub.LogResult(log, res, cut)
	if len(res.Sent) == 0 {
		return
	}
	db, err := openDB(ctx, cfg.DBPath, cfg.LockTimeout)
	if err == nil {
		err = ackPings(db, res.Sent)
		db.Close()
	}
	if err != nil {
		// Still recorded: the next scan sends them again, harmlessly.
		log.Error("hub notifications sent but still recorded as owed", "pings", len(res.Sent), "error", err)
	}
}

// hubQueue is feedpub serve's WebSub sender: the queue, and how long to
// let it finish at shutdown.
type hubQueue struct {
	q    *websub.Queue
	stop context.CancelFunc
	done chan struct{}
}

func startHubQueue(cfg config.Config, log *slog.Logger, m *websub.Metrics) *hubQueue {
	ctx, cancel := context.WithCancel(context.Background())
	h := &hubQueue{q: websub.NewQueue(newNotifier(cfg, log, m)), stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		h.q.Run(ctx)
	}()
	return h
}

// close lets pings under way finish for up to wait, stops the queue, and
// removes what was acknowledged since the last scan from the store, so
// that the next start does not send it again.
func (h *hubQueue) close(log *slog.Logger, cfg config.Config, wait time.Duration) {
	deadline := time.Now().Add(wait)
	for !h.q.Idle() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	h.stop()
	<-h.done
	acked := h.q.Acked()
	if len(acked) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	db, err := openDB(ctx, cfg.DBPath, wait)
	if err == nil {
		err = ackPings(db, acked)
		db.Close()
	}
	if err != nil {
		log.Warn("hub notifications sent but still recorded as owed: the next start sends them again", "pings", len(acked), "error", err)
	}
}
