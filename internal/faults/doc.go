// Package faults holds no code, only tests of the real feedpub binary
// under faults: killed at random moments (crash_test.go), a full disk or
// a read-only output directory (disk_test.go), and damaged databases,
// backups and restores (database_test.go). They build cmd/feedpub and
// run it as cron or an operator would.
package faults
