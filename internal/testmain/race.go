//go:build race

package testmain

// raceEnabled is true in a build with the race detector, whose runtime
// idles at exit (see the package doc).
const raceEnabled = true
