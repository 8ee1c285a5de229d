package main

import (
	"fmt"
	"slices"
	"strings"
)

// markerVariables are PEP 508's environment markers' variables.
var markerVariables = []string{"python_version", "python_full_version", "os_name", "sys_platform", "platform_release",
	"platform_system", "platform_version", "platform_machine", "platform_python_implementation", "implementation_name",
	"implementation_version", "extra"}

// markerOperators are PEP 508's comparisons, longest first (as the tokens are read).
var markerOperators = []string{"===", "<=", "!=", "==", ">=", "~=", "<", ">"}

// markerCompatible is the comparison that pip evaluates only where both sides are versions of two
// release segments or more: `python_version ~= "3"` passed the grammar and pip failed on it, after
// the venv was made (seventy-fifth probe). Refused in any marker: the others cover what it says.
const markerCompatible = "~="

// markerArbitrary is arbitrary equality, which pip evaluates only where its string is a valid version
// specifier: `os_name === "a b"` passed the grammar and pip failed with a traceback (seventy-ninth
// probe). Refused in any marker: == says the same.
const markerArbitrary = "==="

// checkMarker refuses an environment marker that is not PEP 508's grammar:
//
//	or  := and ("or" and)*;  and := expr ("and" expr)*;  expr := value op value | "(" or ")"
//	value := a variable of markerVariables or a quoted string;  op := a comparison, "in" or "not in"
//
// with one variable and one string in each comparison (pip looks a second string up as a variable:
// `"a" == "b"` failed in pip), and no "~=" or "===" (markerCompatible, markerArbitrary).
//
// pip parses it only once the venv it installs into was removed: ")(" passed setup's check and pip
// failed with a traceback (seventy-fourth probe).
func checkMarker(marker string) error {
	tokens, err := markerTokens(marker)
	if err != nil {
		return err
	}
	p := markerParser{tokens: tokens}
	if err := p.or(); err != nil {
		return err
	}
	if p.i < len(p.tokens) {
		return fmt.Errorf("%q where the marker should end (PEP 508)", p.tokens[p.i])
	}
	return nil
}

// markerTokens splits a marker into words, quoted strings (quotes kept), operators and parentheses.
func markerTokens(s string) ([]string, error) {
	var out []string
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ':
			i++
		case c == '(' || c == ')':
			out, i = append(out, s[i:i+1]), i+1
		case c == '"' || c == '\'':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				return nil, fmt.Errorf("a string opened by %c and not closed", c)
			}
			out, i = append(out, s[i:i+end+2]), i+end+2
		case strings.ContainsRune("<>=!~", rune(c)):
			op := ""
			for _, o := range markerOperators {
				if strings.HasPrefix(s[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				return nil, fmt.Errorf("%q is no comparison of PEP 508", s[i:min(i+3, len(s))])
			}
			out, i = append(out, op), i+len(op)
		default:
			j := i
			for j < len(s) && (s[j] == '_' || s[j] == '.' || 'a' <= s[j] && s[j] <= 'z' || 'A' <= s[j] && s[j] <= 'Z' || '0' <= s[j] && s[j] <= '9') {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("%q is no part of a PEP 508 marker", s[i:i+1])
			}
			out, i = append(out, s[i:j]), j
		}
	}
	return out, nil
}

type markerParser struct {
	tokens []string
	i      int
}

func (p *markerParser) next() string {
	if p.i < len(p.tokens) {
		return p.tokens[p.i]
	}
	return ""
}

func (p *markerParser) or() error {
	for {
		if err := p.and(); err != nil {
			return err
		}
		if p.next() != "or" {
			return nil
		}
		p.i++
	}
}

func (p *markerParser) and() error {
	for {
		if err := p.expr(); err != nil {
			return err
		}
		if p.next() != "and" {
			return nil
		}
		p.i++
	}
}

func (p *markerParser) expr() error {
	if p.next() == "(" {
		p.i++
		if err := p.or(); err != nil {
			return err
		}
		if p.next() != ")" {
			return fmt.Errorf("a parenthesis not closed")
		}
		p.i++
		return nil
	}
	left, err := p.value()
	if err != nil {
		return err
	}
	switch op := p.next(); {
	case op == markerCompatible:
		// Refused whatever its version: pip evaluates it only between versions of two release segments
		// or more, and "3.0" was refused for a reason that did not hold of it (hundred-and-first probe's nit).
		return fmt.Errorf("~= (compatible release), which setup does not take in a marker (pip evaluates it only between versions of two release segments or more): write the bounds with >= and <")
	case op == markerArbitrary:
		return fmt.Errorf("=== (arbitrary equality), which pip evaluates only where its string is a version specifier: write ==")
	case slices.Contains(markerOperators, op) || op == "in":
		p.i++
	case op == "not" && p.i+1 < len(p.tokens) && p.tokens[p.i+1] == "in":
		p.i += 2
	default:
		return fmt.Errorf("%q where a comparison should be (PEP 508: ==, !=, <, <=, >, >=, ===, in, not in)", op)
	}
	right, err := p.value()
	if err != nil {
		return err
	}
	if left == right {
		return fmt.Errorf("a comparison of %s: compare one of PEP 508's variables with a quoted string",
			map[bool]string{true: "two variables", false: "two strings"}[left])
	}
	return nil
}

// value reads a variable (true) or a quoted string (false).
func (p *markerParser) value() (bool, error) {
	t := p.next()
	if t == "" {
		return false, fmt.Errorf("it ends where a variable or a quoted string should be")
	}
	if t[0] == '"' || t[0] == '\'' || slices.Contains(markerVariables, t) {
		p.i++
		return slices.Contains(markerVariables, t), nil
	}
	return false, fmt.Errorf("%q is neither a quoted string nor one of PEP 508's variables (%s)", t, strings.Join(markerVariables, ", "))
}
