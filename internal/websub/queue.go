package websub

import (
	"context"
	"sync"

	"github.com/feedpub/feedpub/internal/store"
)

// Queue sends pings in the background, for feedpub serve: its store is
// open only while a scan runs, and a hub that is slow or down must not
// hold the scans (nor the store's lock, which a cron scan may be waiting
// for). Each scan Submits every ping owed; Acked returns those the hubs
// acknowledged since, which the next scan removes from the store when it
// opens it. A ping that fails stays in the store and is submitted again
// after the next scan.
type Queue struct {
	n       *Notifier
	metrics *Metrics
	wake    chan struct{}

	mu     sync.Mutex
	queued []store.Ping
	known  map[[2]string]uint64 // hub, topic → newest generation queued or in flight
	acked  []store.Ping         // acknowledged, not yet taken by Acked
	done   map[[2]string]uint64 // acked, by hub and topic: still in the store until taken
	busy   bool
}

// NewQueue returns a queue that sends with n once Run runs.
func NewQueue(n *Notifier) *Queue {
	return &Queue{n: n, metrics: n.o.Metrics, wake: make(chan struct{}, 1), known: map[[2]string]uint64{}, done: map[[2]string]uint64{}}
}

// Submit queues pings, every ping the store owes: those already queued,
// being sent, or sent but still in the store (acknowledged after the scan
// took the acknowledgements) in the same generation are not queued twice.
func (q *Queue) Submit(pings []store.Ping) {
	q.mu.Lock()
	owed := 0
	for _, p := range pings {
		k := [2]string{p.Hub, p.Topic}
		if g, ok := q.done[k]; ok && g >= p.Gen {
			continue
		}
		owed++
		if g, ok := q.known[k]; ok && g >= p.Gen {
			continue
		}
		q.known[k] = p.Gen
		q.queued = append(q.queued, p)
	}
	if q.metrics != nil {
		q.metrics.Pending.Set(float64(owed))
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Acked returns the pings acknowledged since the last call, to remove
// from the store.
func (q *Queue) Acked() []store.Ping {
	q.mu.Lock()
	defer q.mu.Unlock()
	a := q.acked
	q.acked = nil
	clear(q.done)
	return a
}

// Idle reports whether nothing is queued or being sent.
func (q *Queue) Idle() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.queued) == 0 && !q.busy
}

// Run sends what is queued until ctx ends; pings under way then fail
// and stay owed.
func (q *Queue) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-q.wake:
		}
		for {
			q.mu.Lock()
			batch := q.queued
			q.queued = nil
			q.busy = len(batch) > 0
			q.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			res := q.n.Send(ctx, batch)
			q.mu.Lock()
			for _, p := range res.Sent {
				q.forget(p)
				q.acked = append(q.acked, p)
				q.done[[2]string{p.Hub, p.Topic}] = p.Gen
				if q.metrics != nil {
					q.metrics.Pending.Dec()
				}
			}
			for _, p := range res.Failed {
				q.forget(p)
			}
			q.busy = false
			q.mu.Unlock()
			LogResult(q.n.o.Log, res, ctx.Err() != nil)
		}
	}
}

// forget drops p from the pings known, unless a newer generation of it
// was queued meanwhile.
func (q *Queue) forget(p store.Ping) {
	k := [2]string{p.Hub, p.Topic}
	if q.known[k] == p.Gen {
		delete(q.known, k)
	}
}
