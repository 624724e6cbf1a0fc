package config_test

import (
	"strings"
	"testing"

	"github.com/feedpub/feedpub/internal/config"
)

func TestParseS3(t *testing.T) {
	for in, want := range map[string]string{
		"s3://feeds":                      "feeds ",
		"s3://feeds/":                     "feeds ",
		"s3://feeds/site":                 "feeds site/",
		"s3://my.feeds-1/a/b/":            "my.feeds-1 a/b/",
		"https://feeds/x":                 "error",
		"s3://Feeds/x":                    "error",
		"s3://ab/x":                       "error",
		"s3://feeds/a//b":                 "error",
		"s3://feeds/a/../b":               "error",
		"s3://" + strings.Repeat("a", 64): "error",
	} {
		b, p, err := config.ParseS3(in)
		got := b + " " + p
		if err != nil {
			got = "error"
		}
		if got != want {
			t.Errorf("ParseS3(%q) = %q (%v), want %q", in, got, err, want)
		}
	}
}

func TestDefaultPrecompressesAndPublishesNowhere(t *testing.T) {
	c := config.Default()
	if !c.Precompress || c.PublishS3 != "" {
		t.Errorf("default: precompress %v, publish %q", c.Precompress, c.PublishS3)
	}
	for _, key := range []string{config.KeyPrecompress, config.KeyPublishS3, config.KeyS3Endpoint, config.KeyS3Region} {
		if _, ok := config.Lookup(key); !ok {
			t.Errorf("%s is not a setting", key)
		}
	}
}
