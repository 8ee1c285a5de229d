package ddpm

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// The Go snippet of README.md and docs/library.md is ExampleSchedule_QSample, line for line, so that
// what a reader copies is what `go test` runs and checks: the pages' own snippet did not compile (err
// and xt unused, fmt not imported; sixty-fourth probe).
func TestPagesSnippetIsTheExample(t *testing.T) {
	example, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	var body, comment []string // ExampleSchedule_QSample's comment and lines, unindented
	in := false
	for _, line := range strings.Split(string(example), "\n") {
		switch {
		case strings.HasPrefix(line, "//"):
			comment = append(comment, line)
		case strings.HasPrefix(line, "func ExampleSchedule_QSample()"):
			in, body = true, append(body, comment...)
		case in && line == "}":
			in = false
		case in:
			body = append(body, strings.TrimPrefix(line, "\t"))
		default:
			comment = nil
		}
	}
	if len(body) == 0 {
		t.Fatal("example_test.go has no ExampleSchedule_QSample")
	}
	for _, page := range []string{"../README.md", "../docs/library.md"} {
		raw, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		text := string(raw)
		start := strings.Index(text, "```go\n")
		end := strings.Index(text[start+6:], "```")
		if start < 0 || end < 0 {
			t.Errorf("%s: no Go snippet", page)
			continue
		}
		snippet := strings.Split(strings.TrimSpace(text[start+6:start+6+end]), "\n")
		code := snippet[slices.Index(snippet, ")")+1:] // after the imports
		for len(code) > 0 && code[0] == "" {
			code = code[1:]
		}
		if strings.Join(code, "\n") != strings.Join(body, "\n") {
			t.Errorf("%s: its Go snippet is not ExampleSchedule_QSample's body:\n%s\nwant:\n%s", page, strings.Join(code, "\n"), strings.Join(body, "\n"))
		}
	}
}
