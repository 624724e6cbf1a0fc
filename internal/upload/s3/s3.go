// Package s3 is upload's Bucket on S3 and S3-compatible servers (MinIO,
// versitygw, Ceph, R2, B2...), through github.com/minio/minio-go: a
// maintained client made for S3-compatible servers (path-style
// addressing, any region, Signature V4), with far fewer dependencies than
// the AWS SDK.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/feedpub/feedpub/internal/upload"
)

// Options say where the bucket is.
type Options struct {
	Bucket string
	// Endpoint is the URL of an S3-compatible server, "" for AWS S3. Its
	// buckets are addressed by path (http://host/bucket/key), which every
	// such server accepts, whatever its DNS.
	Endpoint string
	// Region is the bucket's; "" means AWS_REGION, else the server is asked.
	Region string
	// MaxRetries bounds the attempts at each request (transient errors,
	// throttling); 0 means DefaultMaxRetries.
	MaxRetries int
}

// DefaultMaxRetries is fewer than minio-go's 10: a failed upload is
// retried by the next scan anyway, and a dead server should fail a scan in
// seconds, not minutes.
const DefaultMaxRetries = 3

// Bucket is an S3 bucket to upload to.
type Bucket struct {
	client *minio.Client
	name   string
}

var _ upload.Bucket = (*Bucket)(nil)

// New returns the bucket. Credentials come from AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), else the shared
// credentials file (~/.aws/credentials, AWS_PROFILE), else, on AWS only,
// the instance's role. It makes no request.
func New(opts Options) (*Bucket, error) {
	host, secure := "s3.amazonaws.com", true
	lookup := minio.BucketLookupAuto
	providers := []credentials.Provider{&credentials.EnvAWS{}, &credentials.FileAWSCredentials{}}
	if opts.Endpoint != "" {
		u, err := url.Parse(opts.Endpoint)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("s3: endpoint %q: want http://host:port or https://host", opts.Endpoint)
		}
		host, secure = u.Host, u.Scheme == "https"
		lookup = minio.BucketLookupPath
	} else {
		// The instance metadata service exists on AWS only: never asked
		// on behalf of another server.
		providers = append(providers, &credentials.IAM{})
	}
	creds := credentials.NewChainCredentials(providers)
	v, err := creds.GetWithContext(nil)
	if err != nil || v.SignerType.IsAnonymous() {
		return nil, errors.New("s3: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws/credentials")
	}
	region := opts.Region
	if region == "" {
		region = os.Getenv("AWS_REGION")
	}
	retries := opts.MaxRetries
	if retries <= 0 {
		retries = DefaultMaxRetries
	}
	c, err := minio.New(host, &minio.Options{Creds: creds, Secure: secure, Region: region, BucketLookup: lookup, MaxRetries: retries})
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	return &Bucket{client: c, name: opts.Bucket}, nil
}

// Check makes sure the bucket exists and the credentials reach it, so that
// a typo fails with one clear error instead of one per file.
func (b *Bucket) Check(ctx context.Context) error {
	ok, err := b.client.BucketExists(ctx, b.name)
	switch {
	case err != nil:
		return fmt.Errorf("s3: bucket %s at %s: %w", b.name, b.client.EndpointURL().Host, err)
	case !ok:
		return fmt.Errorf("s3: bucket %s does not exist at %s", b.name, b.client.EndpointURL().Host)
	}
	return nil
}

// Put stores an object, in one request: published files are far below the
// size where multipart uploads pay.
func (b *Bucket) Put(ctx context.Context, key string, body io.Reader, size int64, h upload.Header) error {
	_, err := b.client.PutObject(ctx, b.name, key, body, size, minio.PutObjectOptions{
		ContentType:      h.ContentType,
		CacheControl:     h.CacheControl,
		ContentEncoding:  h.ContentEncoding,
		DisableMultipart: size < 64<<20,
		// Over plain HTTP minio-go would sign the body in aws-chunked
		// chunks, which some S3-compatible servers (versitygw) keep in
		// the stored Content-Encoding: a CDN would then send
		// "aws-chunked,gzip". A Content-MD5 lets the server check the
		// body instead.
		DisableContentSha256: true,
		SendContentMd5:       true,
	})
	return err
}

// Remove deletes an object; an absent one is not an error.
func (b *Bucket) Remove(ctx context.Context, key string) error {
	return b.client.RemoveObject(ctx, b.name, key, minio.RemoveObjectOptions{})
}
