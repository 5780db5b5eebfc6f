//go:build !race

package team

// raceEnabled: see race_on_internal_test.go.
const raceEnabled = false
