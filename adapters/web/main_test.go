package web_test

import (
	"testing"

	"github.com/meetbot/meetbot/internal/testmain"
)

// TestMain ends the binary as every test package here does (internal/testmain).
func TestMain(m *testing.M) { testmain.Run(m) }
