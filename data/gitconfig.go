package data

import (
	"fmt"
	"os"
	"path/filepath"
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

// checkGitIncludes refuses a file that the git configuration file (checked already) includes, at any
// depth, where another user could change it: root's ~/.gitconfig included their file, which turned on
// git's ext:: protocol for github.com, and the go command's git ran their command as root
// (sixty-eighth probe). Both [include] and [includeIf …] are followed, whatever their condition; a
// configuration whose includes git could read otherwise than gitIncludePaths does is refused. One rule
// for every configuration git reads: $HOME's (for a git older than 2.32) and GOAUTH's repository's.
func checkGitIncludes(file, home string, depth int) error {
	raw, err := os.ReadFile(file)
	if err != nil || depth > maxGitIncludeDepth {
		return nil // a file not there includes nothing; git stops at its depth too
	}
	paths, err := gitIncludePaths(string(raw))
	if err != nil {
		return fmt.Errorf("git would read %s, %w, and ddpm cannot follow its includes as git does: write each include as path = /a/file, or remove it", file, err)
	}
	for _, path := range paths {
		switch {
		case strings.HasPrefix(path, "~/") && home != "":
			path = home + path[1:] // as git: $HOME and the rest, not tidied
		case path == "":
			continue // nothing read
		case strings.HasPrefix(path, "~"), strings.HasPrefix(path, ":"): // ~user, and git's ":(optional)" prefix
			return fmt.Errorf("git would read %s, which includes %s, a path that ddpm cannot read as git does: name the file itself", file, path)
		case !filepath.IsAbs(path):
			path = file[:strings.LastIndex(file, "/")+1] + path // git joins it to the including file's folder as text
		}
		if err := trust.CheckRead(path); err != nil {
			return fmt.Errorf("git would read %s, which %s includes, and %w", path, file, err)
		}
		if err := checkGitIncludes(path, home, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// gitIncludePaths are the values of path in the [include] and [includeIf "…"] sections of a git
// configuration file (and in any section whose name says include: one read as too many is checked,
// not missed), unquoted; or an error where git could read an include that this reading would not see:
// a line continued by "\" (a section header inside a value to git, or a value running on), a value
// with an escape or a quote inside it. A byte-order mark and several headers on one line are read as
// git reads them (seventieth and eighty-first probes).
func gitIncludePaths(config string) ([]string, error) {
	config = strings.TrimPrefix(config, "\ufeff")
	if !strings.Contains(strings.ToLower(config), "include") {
		return nil, nil
	}
	var paths []string
	including := false
	for n, line := range strings.Split(config, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasSuffix(line, `\`) {
			return nil, fmt.Errorf("whose line %d is continued by \\", n+1)
		}
		for strings.HasPrefix(line, "[") { // "[core] [include] path = x" is two headers and a value
			header, rest, _ := strings.Cut(line[1:], "]")
			including = strings.Contains(strings.ToLower(header), "include")
			line = strings.TrimSpace(rest)
		}
		if line == "" || line[0] == '#' || line[0] == ';' || !including {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(key), "path") {
			continue
		}
		path, err := gitValue(strings.TrimSpace(value))
		if err != nil {
			return nil, fmt.Errorf("whose line %d %w", n+1, err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// gitValue is a configuration value written plainly or in one pair of quotes, less a comment after it;
// an error for any other spelling (escapes, quotes inside), which git reads by rules of its own.
func gitValue(value string) (string, error) {
	if strings.ContainsRune(value, '\\') {
		return "", fmt.Errorf("includes a path with an escape (\\)")
	}
	if rest, ok := strings.CutPrefix(value, `"`); ok {
		path, after, closed := strings.Cut(rest, `"`)
		if after = strings.TrimSpace(after); !closed || after != "" && after[0] != '#' && after[0] != ';' {
			return "", fmt.Errorf("includes a path quoted otherwise than in one pair of quotes")
		}
		return path, nil
	}
	if i := strings.IndexAny(value, "#;"); i >= 0 {
		value = strings.TrimSpace(value[:i])
	}
	if strings.ContainsRune(value, '"') {
		return "", fmt.Errorf("includes a path with a quote inside it")
	}
	return value, nil
}
