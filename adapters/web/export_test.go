package web

// Countdown is the wait page's countdown text, for the tests that compare
// the page's script with it.
var Countdown = countdown
