//go:build race

package scheduler_test

// raceEnabled is true under the race detector, where tests scale down.
const raceEnabled = true
