package data

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	goScripts = true // the tests' fake go commands are shell scripts; TestMNISTDirRunsNoScriptAsGo sets it back
	os.Exit(m.Run())
}
