// Command s3tool is the S3 client of scripts/test-s3: it makes a bucket,
// counts objects, shows an object's stored headers and fetches objects,
// through the same client library as feedpub, so that the test reads back
// what a CDN would get. Credentials come from AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY; the server from S3_ENDPOINT (http://host:port).
//
//	s3tool mb BUCKET
//	s3tool ls BUCKET PREFIX           one key a line
//	s3tool head BUCKET KEY            Content-Type, Cache-Control, Content-Encoding, a line each
//	s3tool get BUCKET KEY FILE        the object's bytes as stored
//	s3tool decode BUCKET KEY FILE     the bytes decoded by their Content-Encoding
//	s3tool mirror BUCKET PREFIX DIR   every object under PREFIX, decoded, into DIR
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "s3tool:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 {
		return errors.New("usage: s3tool mb|ls|head|get|decode BUCKET [KEY|PREFIX] [FILE]")
	}
	u, err := url.Parse(os.Getenv("S3_ENDPOINT"))
	if err != nil || u.Host == "" {
		return fmt.Errorf("S3_ENDPOINT %q: want http://host:port", os.Getenv("S3_ENDPOINT"))
	}
	c, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewEnvAWS(), Secure: u.Scheme == "https",
		Region: "us-east-1", BucketLookup: minio.BucketLookupPath})
	if err != nil {
		return err
	}
	ctx := context.Background()
	cmd, bucket := args[0], args[1]
	switch {
	case cmd == "mb":
		return c.MakeBucket(ctx, bucket, minio.MakeBucketOptions{})
	case cmd == "ls" && len(args) == 3:
		for o := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: args[2], Recursive: true}) {
			if o.Err != nil {
				return o.Err
			}
			fmt.Println(o.Key)
		}
		return nil
	case cmd == "head" && len(args) == 3:
		info, err := c.StatObject(ctx, bucket, args[2], minio.StatObjectOptions{})
		if err != nil {
			return err
		}
		fmt.Printf("Content-Type: %s\nCache-Control: %s\nContent-Encoding: %s\n",
			info.ContentType, info.Metadata.Get("Cache-Control"), info.Metadata.Get("Content-Encoding"))
		return nil
	case cmd == "mirror" && len(args) == 4:
		n := 0
		for o := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: args[2], Recursive: true}) {
			if o.Err != nil {
				return o.Err
			}
			data, err := fetch(ctx, c, bucket, o.Key, true)
			if err != nil {
				return err
			}
			path := filepath.Join(args[3], filepath.FromSlash(strings.TrimPrefix(o.Key, args[2])))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				return err
			}
			n++
		}
		fmt.Printf("%d objects\n", n)
		return nil
	case (cmd == "get" || cmd == "decode") && len(args) == 4:
		data, err := fetch(ctx, c, bucket, args[2], cmd == "decode")
		if err != nil {
			return err
		}
		return os.WriteFile(args[3], data, 0o644)
	}
	return fmt.Errorf("bad arguments: %q", args)
}

// fetch returns an object's bytes, decoded by its Content-Encoding if asked.
func fetch(ctx context.Context, c *minio.Client, bucket, key string, decoded bool) ([]byte, error) {
	obj, err := c.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	data, err := io.ReadAll(obj)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	if !decoded {
		return data, nil
	}
	info, err := obj.Stat()
	if err != nil {
		return nil, err
	}
	if data, err = decode(info.Metadata.Get("Content-Encoding"), data); err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	return data, nil
}

func decode(coding string, data []byte) ([]byte, error) {
	switch coding {
	case "":
		return data, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(zr)
	case "br":
		return io.ReadAll(brotli.NewReader(bytes.NewReader(data)))
	}
	return nil, fmt.Errorf("unknown Content-Encoding %q", coding)
}
