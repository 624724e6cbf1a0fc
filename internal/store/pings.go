package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Ping is a WebSub notification owed to a hub: its topic (a subscription
// document's self URL) changed. Pings are recorded before the changed
// files are published and removed only once the hub acknowledged them, so
// a crash or a hub that is down delays a notification, never loses it.
//
// Gen tells a recording from a later one of the same hub and topic: an
// acknowledgement removes the ping only if no newer change was recorded
// while it was being sent.
type Ping struct {
	Hub, Topic string
	Gen        uint64
}

func pingKey(hub, topic string) []byte {
	return append(append([]byte(hub), 0), topic...)
}

// AddPings records a ping of every topic to every hub, one per pair
// however often it is recorded before it is sent.
func (t *Tx) AddPings(hubs, topics []string) error {
	if len(hubs) == 0 || len(topics) == 0 {
		return nil
	}
	b := t.tx.Bucket(bucketPings)
	gen, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("store: next ping generation: %w", err)
	}
	for _, h := range hubs {
		for _, topic := range topics {
			if err := b.Put(pingKey(h, topic), u64(gen)); err != nil {
				return fmt.Errorf("store: record ping of %s to %s: %w", topic, h, err)
			}
		}
	}
	return nil
}

// Pings returns every ping owed, by hub then topic.
func (t *Tx) Pings() ([]Ping, error) {
	var out []Ping
	err := t.tx.Bucket(bucketPings).ForEach(func(k, v []byte) error {
		hub, topic, ok := bytes.Cut(k, []byte{0})
		if !ok || len(v) != 8 {
			return fmt.Errorf("store: malformed ping record %q", k)
		}
		out = append(out, Ping{Hub: string(hub), Topic: string(topic), Gen: binary.BigEndian.Uint64(v)})
		return nil
	})
	return out, err
}

// AckPings removes the pings sent, unless the same hub and topic was
// recorded again since (a newer Gen): that change is still owed. It
// returns how many it removed.
func (t *Tx) AckPings(sent []Ping) (int, error) {
	b := t.tx.Bucket(bucketPings)
	n := 0
	for _, p := range sent {
		k := pingKey(p.Hub, p.Topic)
		if v := b.Get(k); len(v) != 8 || binary.BigEndian.Uint64(v) != p.Gen {
			continue
		}
		if err := b.Delete(k); err != nil {
			return n, fmt.Errorf("store: remove ping of %s to %s: %w", p.Topic, p.Hub, err)
		}
		n++
	}
	return n, nil
}
