//go:build race

package cluster

// raceEnabled is true under the race detector, where the heavy tests scale
// down so CI's race pass stays within its time.
const raceEnabled = true
