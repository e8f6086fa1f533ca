// Package browsertest holds meetbot's browser tests: the pages of
// adapters/web opened in a real headless Chromium (Debian's package), driven
// from Go with chromedp, against the real service (bbolt in a temp dir, the
// RealtimeKit sandbox) and a local copy of the pinned RealtimeKit npm
// packages served on 127.0.0.1 through web.ui_kit_base_url.
//
// The tests need a Chromium (MEETBOT_CHROMIUM, else chromium or
// google-chrome on PATH) and the packed npm packages in testdata/npm
// (.ci/run fetches both). Without them they skip with one line saying how
// to get them, and fail instead when CI is set, so CI can never pass by
// skipping. One browser serves every test of the binary; each test has its
// own tab.
//
// MEETBOT_SCREENSHOTS=dir writes a PNG of each page at 1280×800 and
// 390×844 into dir, for people to look at.
package browsertest
