package store

import (
	"bytes"
	"testing"
	"time"

	"github.com/feedpub/feedpub/internal/model"
)

// bbolt's memory is valid only inside its transaction: decoded records
// must not alias it.
func TestDecodedRecordsDoNotAliasTheirBytes(t *testing.T) {
	it := &model.Item{Seq: 7, Key: []byte("0123456789abcdef"), ID: "tag:x,2026:i", Title: "Title",
		Published: time.Date(2017, 10, 31, 12, 0, 0, 0, time.UTC), Categories: []string{"category/news"}}
	data, err := encode(it)
	if err != nil {
		t.Fatal(err)
	}
	var got model.Item
	if err := decode(data, &got); err != nil {
		t.Fatal(err)
	}
	for i := range data {
		data[i] = 0xff
	}
	if !bytes.Equal(got.Key, []byte("0123456789abcdef")) || got.Title != "Title" || got.Categories[0] != "category/news" ||
		!got.Published.Equal(it.Published) {
		t.Errorf("decoded item changed with its buffer: %+v", got)
	}
}

func TestFileTimesKeepNanoseconds(t *testing.T) {
	r := &model.FileRecord{Path: "a.txt", ModTime: time.Unix(1700000000, 123456789)}
	data, err := encode(r)
	if err != nil {
		t.Fatal(err)
	}
	var got model.FileRecord
	if err := decode(data, &got); err != nil || !got.ModTime.Equal(r.ModTime) {
		t.Errorf("mtime %v -> %v (%v)", r.ModTime, got.ModTime, err)
	}
}
