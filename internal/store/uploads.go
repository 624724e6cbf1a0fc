package store

import "fmt"

// The upload set: files of the output directory (slash paths, variants
// included) that object storage does not have as they are now. The scan
// adds a batch's files before it publishes them, so that a crash after
// publishing cannot leave one out; the uploader removes each once the
// object is stored (or deleted, for a file no longer there). What a failed
// or killed upload leaves here, the next scan uploads.

// AddUploads records paths as waiting to be uploaded.
func (t *Tx) AddUploads(paths ...string) error {
	b := t.tx.Bucket(bucketUploads)
	for _, p := range paths {
		if err := b.Put([]byte(p), nil); err != nil {
			return fmt.Errorf("store: add upload %s: %w", p, err)
		}
	}
	return nil
}

// Uploads returns the paths waiting to be uploaded, sorted.
func (t *Tx) Uploads() []string {
	var paths []string
	t.tx.Bucket(bucketUploads).ForEach(func(k, _ []byte) error {
		paths = append(paths, string(k))
		return nil
	})
	return paths
}

// ClearUploads removes paths from the upload set once stored.
func (t *Tx) ClearUploads(paths []string) error {
	b := t.tx.Bucket(bucketUploads)
	for _, p := range paths {
		if err := b.Delete([]byte(p)); err != nil {
			return fmt.Errorf("store: clear upload %s: %w", p, err)
		}
	}
	return nil
}

// PendingUploads returns how many files wait to be uploaded.
func (t *Tx) PendingUploads() int {
	return t.tx.Bucket(bucketUploads).Stats().KeyN
}
