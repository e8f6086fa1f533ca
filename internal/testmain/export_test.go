package testmain

// RaceEnabled lets the external tests know the build.
const RaceEnabled = raceEnabled
