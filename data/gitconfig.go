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

// checkGitIncludes refuses a file that a git configuration file (checked already) includes, at any
// depth, where another user could change it: root's ~/.gitconfig included their file, which turned on
// git's ext:: protocol for github.com, and the go command's git ran their command as root
// (sixty-eighth probe). Both [include] and [includeIf …] are followed, whatever their condition.
func checkGitIncludes(file, home string, depth int) error {
	raw, err := os.ReadFile(file)
	if err != nil || depth > maxGitIncludeDepth {
		return nil // a file not there includes nothing; git stops at its depth too
	}
	for _, path := range gitIncludePaths(string(raw)) {
		switch {
		case strings.HasPrefix(path, "~/"):
			path = filepath.Join(home, path[2:])
		case !filepath.IsAbs(path):
			path = filepath.Join(filepath.Dir(file), path)
		}
		if err := trust.CheckRead(path); err != nil {
			return fmt.Errorf("MNIST: the go command's git would read %s, which %s includes, and %w; run as yourself with your own $HOME (sudo -H), or set $%s to a folder with the MNIST files",
				path, file, err, EnvMNISTDir)
		}
		if err := checkGitIncludes(path, home, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// gitIncludePaths are the values of path in the [include] and [includeIf "…"] sections of a git
// configuration file, unquoted.
func gitIncludePaths(config string) []string {
	var paths []string
	section := ""
	for _, line := range strings.Split(config, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			header, rest, _ := strings.Cut(line[1:], "]")
			name, _, _ := strings.Cut(header, "\"") // [includeIf "gitdir:…"]
			section = strings.ToLower(strings.TrimSpace(strings.Fields(name + " ")[0]))
			if line = strings.TrimSpace(rest); line == "" { // "[include] path = x" on one line
				continue
			}
		}
		if section != "include" && section != "includeif" {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(key), "path") {
			continue
		}
		value = strings.TrimSpace(value)
		if i := strings.IndexAny(value, "#;"); i >= 0 && !strings.HasPrefix(value, "\"") {
			value = strings.TrimSpace(value[:i]) // a comment after the value
		}
		paths = append(paths, strings.Trim(value, "\""))
	}
	return paths
}
