package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Keys of the publishing settings. They live in this file, appended to
// Settings, so that they stay one block apart from the scan's and the
// server's.
const (
	KeyPrecompress = "publish.precompress"
	KeyPublishS3   = "publish.s3"
	KeyS3Endpoint  = "publish.s3_endpoint"
	KeyS3Region    = "publish.s3_region"
)

func init() {
	get, set := boolean(func(c *Config) *bool { return &c.Precompress })
	Settings = append(Settings,
		setting(KeyPrecompress, "precompress", Bool, "write X.gz and X.br beside every feed, page, index and OPML file, for nginx gzip_static and CDNs", get, set))
	for _, s := range []struct {
		key, flag, usage string
		p                func(*Config) *string
	}{
		{KeyPublishS3, "publish", "after each scan, upload the files that changed to S3-compatible object storage: s3://bucket/prefix (credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ~/.aws/credentials, or the instance's role)", func(c *Config) *string { return &c.PublishS3 }},
		{KeyS3Endpoint, "s3-endpoint", "URL of an S3-compatible server, like http://127.0.0.1:9000 (default: AWS S3); its buckets are addressed by path", func(c *Config) *string { return &c.S3Endpoint }},
		{KeyS3Region, "s3-region", "region of the bucket (default: AWS_REGION, else asked of the server)", func(c *Config) *string { return &c.S3Region }},
	} {
		get, set := str(s.p)
		Settings = append(Settings, setting(s.key, s.flag, String, s.usage, get, set))
	}
}

// bucketName is what S3 accepts as a bucket name: 3 to 63 lowercase
// letters, digits, dots and hyphens, starting and ending with a letter or
// digit.
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// ParseS3 reads a publish target, s3://bucket/prefix. The prefix is
// returned without a leading slash and, unless empty, with a trailing one,
// so that object keys are prefix + the file's path under the output
// directory.
func ParseS3(s string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q: want s3://bucket/prefix", s)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if !bucketName.MatchString(bucket) {
		return "", "", fmt.Errorf("%q: %q is not a bucket name (3 to 63 lowercase letters, digits, dots and hyphens)", s, bucket)
	}
	prefix = strings.Trim(prefix, "/")
	for seg := range strings.SplitSeq(prefix, "/") {
		if prefix != "" && (seg == "" || seg == "." || seg == "..") {
			return "", "", fmt.Errorf("%q: the prefix must be plain names separated by single slashes", s)
		}
	}
	if prefix != "" {
		prefix += "/"
	}
	return bucket, prefix, nil
}

// validatePublish checks the publishing settings, for Validate.
func (c *Config) validatePublish() []error {
	var errs []error
	if c.PublishS3 != "" {
		if _, _, err := ParseS3(c.PublishS3); err != nil {
			errs = append(errs, fieldErr(KeyPublishS3, "%w", err))
		}
	}
	if c.S3Endpoint != "" {
		u, err := url.Parse(c.S3Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			errs = append(errs, fieldErr(KeyS3Endpoint, "%q: want http://host:port or https://host, nothing after the host", c.S3Endpoint))
		}
	}
	return errs
}
