package store_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/model"
	"github.com/feedpub/feedpub/internal/store"
)

// feedOf stores a feed of n items, each appended to its log and members,
// every tenth item appended again as if edited.
func feedOf(b *testing.B, db *store.DB, path string, n int) {
	b.Helper()
	const chunk = 50_000
	for start := 0; start < n; start += chunk {
		err := db.Update(func(tx *store.Tx) error {
			if start == 0 {
				if err := tx.PutFeed(&model.Feed{Path: path, Kind: model.KindCategory, Fold: path}); err != nil {
					return err
				}
			}
			for i := start; i < min(n, start+chunk); i++ {
				seq := uint64(1_000_000_000 + i)
				if _, err := tx.AddMember(path, seq); err != nil {
					return err
				}
				if err := tx.AppendLog(path, seq); err != nil {
					return err
				}
				if i%10 == 0 {
					if err := tx.AppendLog(path, seq); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewestAndTail reads what a subscription document needs: the
// newest 50 items and the members after the last full archive page. Its
// cost must not depend on the size of the feed: 50 or 900,000 items.
func BenchmarkNewestAndTail(b *testing.B) {
	db, err := store.Open(filepath.Join(b.TempDir(), "bench.db"), store.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for _, n := range []int{50, 900_000} {
		path := fmt.Sprintf("category/c%d", n)
		feedOf(b, db, path, n)
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			for b.Loop() {
				err := db.View(func(tx *store.Tx) error {
					if _, err := tx.Newest(path, 50); err != nil {
						return err
					}
					archived := tx.MemberCount(path) / 50
					_, err := tx.Members(path, archived*50+1, 50)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
