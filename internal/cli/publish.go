package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/feedpub/feedpub/internal/config"
	"github.com/feedpub/feedpub/internal/schedule"
	"github.com/feedpub/feedpub/internal/store"
	"github.com/feedpub/feedpub/internal/upload"
	"github.com/feedpub/feedpub/internal/upload/s3"
)

// publishFlags are the settings of publishing beyond the output
// directory (precompressed variants, object storage), taken by every
// command that scans. scan also takes --max-age, the Cache-Control of
// the objects it uploads.
var publishFlags = []string{"precompress", "publish", "s3-endpoint", "s3-region"}

// effectiveMaxAge is the Cache-Control max-age of files that may change:
// the setting, or for auto the time between scheduled scans, at most
// maxAutoMaxAge.
func effectiveMaxAge(cfg config.Config, now time.Time) time.Duration {
	if cfg.MaxAge != config.MaxAgeAuto {
		return cfg.MaxAge
	}
	spec, err := schedule.Parse(cfg.Schedule)
	if err != nil {
		return maxAutoMaxAge // not reached: settings are validated
	}
	a := spec.Next(now)
	return min(spec.Next(a).Sub(a), maxAutoMaxAge)
}

// uploadOnce uploads to object storage what the scans left to upload,
// when --publish names a bucket. It logs one line with the counts, and
// each failure with its object. A scan that changed nothing connects to
// nothing. Its error is an *exitError (ExitFatal).
func uploadOnce(ctx context.Context, log *slog.Logger, cfg config.Config, db *store.DB, now time.Time) (*upload.Result, error) {
	bucketName, prefix, err := config.ParseS3(cfg.PublishS3)
	if err != nil {
		return nil, &exitError{code: ExitFatal, err: err} // not reached: settings are validated
	}
	maxAge := effectiveMaxAge(cfg, now)
	endpoint := cfg.S3Endpoint
	if endpoint == "" {
		endpoint = "aws"
	}
	opts := upload.Options{Dir: cfg.OutDir, Prefix: prefix, MaxAge: maxAge,
		// Another bucket, or objects described otherwise: upload all again.
		Target: fmt.Sprintf("%s s3://%s/%s max-age=%d", endpoint, bucketName, prefix, int64(maxAge/time.Second))}
	target := "s3://" + bucketName + "/" + prefix
	started := time.Now()
	if n, err := upload.Pending(db, opts.Target); err != nil || n == 0 {
		if err != nil {
			return nil, &exitError{code: ExitFatal, err: err}
		}
		log.Info("upload finished", "to", target, "uploaded", 0, "removed", 0, "pending", 0, "duration", time.Duration(0))
		return &upload.Result{}, nil
	}
	b, err := s3.New(s3.Options{Bucket: bucketName, Endpoint: cfg.S3Endpoint, Region: cfg.S3Region})
	if err == nil {
		err = b.Check(ctx)
	}
	if err != nil {
		return nil, &exitError{code: ExitFatal, err: fmt.Errorf("upload to %s: %w; the feeds were published locally, and the next scan uploads them", target, err)}
	}
	res, err := upload.Run(ctx, db, b, opts)
	log.Info("upload finished", "to", target, "uploaded", res.Uploaded, "removed", res.Removed,
		"pending", res.Pending, "duration", time.Since(started).Round(time.Millisecond))
	if err != nil {
		var failures []error
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			failures = j.Unwrap()
		} else {
			failures = []error{err}
		}
		for _, f := range failures {
			log.Error("upload failed; it stays pending for the next scan", "error", f)
		}
		var first *upload.Failure
		if errors.As(err, &first) {
			err = fmt.Errorf("%d object(s) not uploaded, %d pending for the next scan; first: %w", len(failures), res.Pending, first)
		}
		return res, &exitError{code: ExitFatal, err: fmt.Errorf("upload to %s: %w", target, err)}
	}
	return res, nil
}
