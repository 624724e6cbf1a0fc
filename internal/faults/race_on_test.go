//go:build race

package faults_test

// raceDetector is on: the power-loss harness runs a few cuts only, the
// race detector slowing each scan many times; scripts/test runs it again
// without, with 60.
const raceDetector = true
