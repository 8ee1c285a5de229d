package data

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/learn-ddpm/ddpm-go/internal/trust"
)

// gitConfigFiles are the configuration files that git, which the go command runs for a direct
// download (GOPROXY=direct, GOPRIVATE), reads with the environment it is given: the system's and the
// user's ($XDG_CONFIG_HOME is not given, so its default in $HOME).
func gitConfigFiles(home string) []string {
	files := []string{"/etc/gitconfig"}
	if home != "" {
		files = append(files, filepath.Join(home, ".gitconfig"), filepath.Join(home, ".config", "git", "config"))
	}
	return files
}

// maxGitIncludeDepth is git's own limit on nested includes.
const maxGitIncludeDepth = 10

// checkGitConfig refuses a git configuration file of $HOME's (checked already) that has git read, at any
// depth of its includes, what another user could change: root's ~/.gitconfig included another user's,
// which turned on git's ext:: protocol for github.com, and the go command's git ran their command as
// root (sixty-eighth probe). Only a git older than 2.32 reads it (GIT_CONFIG_GLOBAL is set for the
// others). Both [include] and [includeIf …] are followed, whatever their condition. A file that git
// could read otherwise than gitEntries does is refused.
func checkGitConfig(file, home string, depth int) error {
	raw, err := os.ReadFile(file)
	if err != nil || depth > maxGitIncludeDepth {
		return nil // a file not there includes nothing; git stops at its depth too
	}
	if !strings.Contains(strings.ToLower(string(raw)), "include") {
		return nil // nothing to follow: a file of $HOME's read otherwise (an alias continued by "\") is no concern
	}
	entries, err := gitEntries(string(raw))
	if err != nil {
		return fmt.Errorf("git would read %s, %w, and ddpm cannot read it as git does: write it otherwise", file, err)
	}
	for _, e := range entries {
		if !e.including() {
			continue
		}
		value, err := gitValue(e.value)
		if err != nil {
			return fmt.Errorf("git would read %s, whose line %d %w, and ddpm cannot read it as git does: write it otherwise", file, e.line, err)
		}
		path := value
		switch {
		case path == "":
			continue // nothing read
		case strings.HasPrefix(path, "~/") && home != "":
			path = home + path[1:] // as git: $HOME and the rest, not tidied
		case strings.HasPrefix(path, "~"), strings.HasPrefix(path, ":"): // ~user, and git's ":(optional)" prefix
			return fmt.Errorf("git would read %s, which includes %s, a path that ddpm cannot read as git does: name the file itself", file, path)
		case !filepath.IsAbs(path):
			path = file[:strings.LastIndex(file, "/")+1] + path // git joins it to the including file's folder as text
		}
		if err := trust.CheckRead(path); err != nil {
			return fmt.Errorf("git would read %s, which %s includes, and %w", path, file, err)
		}
		if err := checkGitConfig(path, home, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// gitEntry is a setting of a git configuration file: its section's header as written, lowercased, its
// key, lowercased, and its value as written after "=", less git's spaces around it.
type gitEntry struct {
	section, key, value string
	line                int
}

// including says whether e names a file git includes: path in any section whose name says include
// (one read as too many is checked, not missed).
func (e gitEntry) including() bool { return strings.Contains(e.section, "include") && e.key == "path" }

// gitSpace is what git takes for white space around a name or a value (its isspace): "\v", "\f" and
// Unicode's spaces are not, and a path that ended in "\v", trimmed here, was another file to git
// (eighty-third probe).
const gitSpace = " \t\r"

// gitEntries are the settings of a git configuration file, read as git reads them, or an error where
// git could read one that this reading would not see: a line continued by "\" (a section header inside
// a value to git). A byte-order mark and several headers on one line are read as git reads them
// (seventieth and eighty-first probes).
func gitEntries(config string) ([]gitEntry, error) {
	config = strings.TrimPrefix(config, "\ufeff")
	var entries []gitEntry
	section := ""
	for n, line := range strings.Split(config, "\n") {
		line = strings.Trim(line, gitSpace)
		if strings.HasSuffix(line, `\`) {
			return nil, fmt.Errorf("whose line %d is continued by \\", n+1)
		}
		for strings.HasPrefix(line, "[") { // "[core] [include] path = x" is two headers and a value
			// Only a header of plain names, and a subsection quoted without escapes: a "]" inside the quotes
			// ended the header here and not in git, which hid a credential helper (eighty-fourth probe).
			header := gitHeader.FindString(line)
			if header == "" {
				return nil, fmt.Errorf("whose line %d starts a section header that ddpm cannot read as git does (a quote or an escape, or a character of neither a name nor a quoted subsection)", n+1)
			}
			section, line = strings.ToLower(header[1:len(header)-1]), strings.Trim(line[len(header):], gitSpace)
		}
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		key, value, _ := strings.Cut(line, "=")
		entries = append(entries, gitEntry{section, strings.ToLower(strings.Trim(key, gitSpace)), strings.Trim(value, gitSpace), n + 1})
	}
	return entries, nil
}

// gitHeader is a section header: a name (the old [section.subsection] too), and a subsection in quotes
// without a quote or an escape in it.
var gitHeader = regexp.MustCompile(`^\[[A-Za-z0-9.-]+(?:[ \t]+"[^"\\]*")?\]`)

// gitValue is a configuration value written plainly or in one pair of quotes, less a comment after it;
// an error for any other spelling (escapes, quotes inside), which git reads by rules of its own.
func gitValue(value string) (string, error) {
	if strings.ContainsRune(value, '\\') {
		return "", fmt.Errorf("holds a value with an escape (\\)")
	}
	if rest, ok := strings.CutPrefix(value, `"`); ok {
		path, after, closed := strings.Cut(rest, `"`)
		if after = strings.Trim(after, gitSpace); !closed || after != "" && after[0] != '#' && after[0] != ';' {
			return "", fmt.Errorf("holds a value quoted otherwise than in one pair of quotes")
		}
		return path, nil
	}
	if i := strings.IndexAny(value, "#;"); i >= 0 {
		value = strings.Trim(value[:i], gitSpace)
	}
	if strings.ContainsRune(value, '"') {
		return "", fmt.Errorf("holds a value with a quote inside it")
	}
	return value, nil
}
