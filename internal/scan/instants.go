package scan

import (
	"time"

	"github.com/feedpub/feedpub/internal/model"
)

// Listings give a day, feeds need an instant. Readers sort by instant and
// rarely revise a date once seen, and validators warn about entries that
// share one, so every item gets its own second, fixed when first seen:
//
//   - a day's first items sit around noon in the configured zone, where a
//     reader in any zone still shows the right day, one minute apart;
//   - items keep the listing's order within the day (first = latest);
//   - an item that appears later above or below known items of its day is
//     placed between them;
//   - no instant is in the future, nor shared with another item.
const (
	placeStep = 60 // seconds between neighbours when there is room
)

// placeDay assigns instants to the new items among one day's items of a
// listing. known holds, in listing order, the stored Unix instant of items
// already seen (anchors) and 0 for new ones. freeAtOrBefore returns the
// latest second at or before its argument that no other item uses: a busy
// day has hundreds of items around noon, and asking second by second
// whether each was taken made placing a tenth of a first scan's ingest
// at a million items. It returns known with every 0 filled.
func placeDay(day model.Date, loc *time.Location, now time.Time, known []int64, freeAtOrBefore func(int64) int64) []int64 {
	ceil := min(day.In(loc, 23, 59, 59).Unix(), now.Unix())
	floor := day.In(loc, 0, 0, 0).Unix()
	if ceil < floor { // dated in the future: the newest possible day is today
		floor = ceil - 86399
	}
	base := min(day.In(loc, 12, 0, 0).Unix(), ceil)

	out := append([]int64(nil), known...)
	used := make(map[int64]bool)
	free := skipping(freeAtOrBefore, used)
	for i := 0; i < len(out); {
		if out[i] != 0 {
			i++
			continue
		}
		j := i
		for j < len(out) && out[j] == 0 {
			j++
		}
		n := int64(j - i)
		hasHi, hasLo := i > 0, j < len(out)
		var hi, lo int64
		if hasHi {
			hi = out[i-1]
		}
		if hasLo {
			lo = out[j]
		}
		// desired(k) for the k-th new item of the run, newest first.
		var desired func(k int64) int64
		switch {
		case hasHi && hasLo:
			step := clampStep((hi - lo) / (n + 1))
			desired = func(k int64) int64 { return hi - (k+1)*step }
		case hasHi:
			step := clampStep((hi - floor) / (n + 1))
			desired = func(k int64) int64 { return hi - (k+1)*step }
		case hasLo:
			step := clampStep((ceil - lo) / (n + 1))
			desired = func(k int64) int64 { return lo + (n-k)*step }
		default:
			step := int64(placeStep)
			if n > 1 && base-(n-1)*step < floor {
				step = clampStep((base - floor) / (n - 1))
			}
			desired = func(k int64) int64 { return base - k*step }
		}
		last := int64(0)
		for k := range n {
			t := min(desired(k), ceil)
			if hasHi && t >= hi {
				t = hi - 1
			}
			if k > 0 && t >= last {
				t = last - 1
			}
			t = free(t)
			out[i+int(k)] = t
			used[t] = true
			last = t
		}
		i = j
	}
	return out
}

// skipping returns freeAtOrBefore that also passes over the seconds in
// taken: those chosen for items not stored yet.
func skipping(freeAtOrBefore func(int64) int64, taken map[int64]bool) func(int64) int64 {
	return func(t int64) int64 {
		t = freeAtOrBefore(t)
		for taken[t] {
			t = freeAtOrBefore(t - 1)
		}
		return t
	}
}

func clampStep(s int64) int64 {
	return max(1, min(s, placeStep))
}
