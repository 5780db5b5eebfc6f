//go:build race

package team

// raceEnabled: the race detector makes atomics slow, so tests that make
// millions of them shrink under it.
const raceEnabled = true
