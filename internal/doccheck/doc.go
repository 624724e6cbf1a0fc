// Package doccheck holds the tests that keep the documentation true:
// every relative link and anchor in README.md and docs/*.md resolves.
// It has no code of its own.
package doccheck
