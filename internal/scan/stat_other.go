//go:build !linux

package scan

// dirStatter stats each file by its path where fstatat(2) is not wired up.
type dirStatter struct{}

func (d *dirStatter) stat(e *entry) { e.statSlow() }
func (d *dirStatter) close()        {}
