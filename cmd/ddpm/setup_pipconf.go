package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/learn-ddpm/ddpm-go/ddpm"
	"github.com/learn-ddpm/ddpm-go/internal/trust"
)

// pipSetting is one option of a pip configuration file: its section, its name as pip normalizes it
// (lower case, "-" for "_"), and its value.
type pipSetting struct{ section, key, value string }

// pipConfigSections are the sections that `pip install` reads (its own and the global one), and
// configparser's DEFAULT, whose options every section takes.
var pipConfigSections = []string{"global", "install", "DEFAULT"}

// pipConfigSettings reads a pip configuration file as Python's configparser (RawConfigParser, which
// pip uses) does, for the sections pip install reads: "[section]" headers and "key = value" or
// "key: value" lines, indented or not; a line indented deeper than the option before it continues its
// value; whole-line comments (# or ;). A file read otherwise than configparser reads it had another
// user's program run as root: an indented option after a header was dropped as a continuation, and a
// lone "\r", a line end to Python, hid an option within its header's line (seventy-first probe). So
// what configparser could read otherwise (line ends but "\n", whitespace other than space and tab,
// characters outside printable ASCII) is refused, with the file named by the caller.
func pipConfigSettings(config string) ([]pipSetting, error) {
	for i, b := range []byte(config) {
		if b >= 0x7f || b < 0x20 && b != '\n' && b != '\t' {
			return nil, fmt.Errorf("line %d: byte %#02x: setup reads a pip configuration file of printable ASCII with lines ended by \\n, "+
				"as pip would read it whatever its line ends and encoding", strings.Count(config[:i], "\n")+1, b)
		}
	}
	var settings []pipSetting
	section, last := "", -1
	option, indent := false, -1 // configparser's: an option is open, and the indentation of the line that opened it or a header
	for _, line := range strings.Split(config, "\n") {
		trimmed := strings.Trim(line, " \t")
		if trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';' {
			continue // blank lines and comments neither end a value nor start one
		}
		level := len(line) - len(strings.TrimLeft(line, " \t"))
		if option && level > indent { // a continuation of the open option's value
			if last >= 0 {
				settings[last].value += "\n" + trimmed
			}
			continue
		}
		indent, option, last = level, false, -1
		if header, _, ok := strings.Cut(trimmed[1:], "]"); trimmed[0] == '[' && ok { // trimmed is not empty here
			section = header // configparser's header runs to the last "]": one that differs holds a "]", no name of pip's
			continue
		}
		i := strings.IndexAny(trimmed, "=:")
		if i < 0 {
			continue // configparser's parsing error: pip then reads no configuration at all
		}
		option = true
		if !slices.Contains(pipConfigSections, section) {
			continue
		}
		key := strings.ReplaceAll(strings.ToLower(strings.Trim(trimmed[:i], " \t")), "_", "-")
		settings = append(settings, pipSetting{section, strings.TrimPrefix(key, "--"), strings.Trim(trimmed[i+1:], " \t")})
		last = len(settings) - 1
	}
	return settings, nil
}

// checkPipConfigs holds the options of pip's configuration files (files no other user can change,
// checked already) to the rules of the variables that set the same options: a pip.conf of root's own
// that named another user's program as its python, a log through their link, or their constraints
// file, had root's setup run, write and read them, where $PIP_PYTHON, $PIP_LOG and $PIP_CONSTRAINT
// were refused or checked (sixty-eighth probe).
func checkPipConfigs(configs []string, home string) error {
	for _, file := range configs {
		raw, err := os.ReadFile(file)
		if err != nil {
			continue // not there: checked as a file no other user could make
		}
		settings, err := pipConfigSettings(string(raw))
		if err != nil {
			return fmt.Errorf("pip's configuration %s: %w: write it so, or set $PIP_CONFIG_FILE=%s for %s", file, err, os.DevNull, ddpm.UserSetupCommand)
		}
		for _, s := range settings {
			name := "PIP_" + strings.ToUpper(strings.ReplaceAll(s.key, "-", "_"))
			where := fmt.Sprintf("pip's configuration %s sets %s (section [%s]; the option of $%s)", file, s.key, s.section, name)
			if !slices.Contains(pipVars, name) || name == "PIP_CONFIG_FILE" {
				return fmt.Errorf("%s: setup has pip use only the options of where and how it downloads: its others change what it installs, "+
					"where or with which Python, or have it write files; remove it from the file, or set $PIP_CONFIG_FILE=%s for %s",
					where, os.DevNull, ddpm.UserSetupCommand)
			}
			var err error
			switch {
			case slices.Contains(pipLocations, name):
				err = checkPipLocation(name, s.value, home)
			case name == "PIP_CERT" || name == "PIP_CLIENT_CERT":
				if err = checkPathShape(name, s.value, s.value, home); err == nil {
					err = trust.CheckRead(expandUser(s.value, home))
				}
			case name == "PIP_CACHE_DIR":
				if err = checkPathShape(name, s.value, s.value, home); err == nil {
					err = trust.CheckOwnFolderAndTree(expandUser(s.value, home))
				}
			}
			if err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		}
	}
	return nil
}
