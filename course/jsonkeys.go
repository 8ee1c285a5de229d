package course

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
)

// decodeJSON is json.Unmarshal of raw (file's text) into v, refusing an object with two keys that are
// the same but for case: Go's structs match keys ignoring case and a map keeps the last, so one file
// read both ways said two things ("Checkpoint_SHA256" of the shipped model beside "checkpoint_sha256"
// of another passed "the report measured the shipped model"; ninety-second probe).
func decodeJSON(file string, raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := checkKeys(dec); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}

// checkKeys reads one JSON value from dec, refusing an object whose keys repeat one another but for case.
func checkKeys(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('['):
		for dec.More() {
			if err := checkKeys(dec); err != nil {
				return err
			}
		}
	case json.Delim('{'):
		seen := map[string]string{} // each key by its folded form
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := tok.(string)
			if other, ok := seen[foldKey(key)]; ok {
				return fmt.Errorf("an object has the keys %q and %q, the same but for case: readers that ignore case and readers that do not would read different values", other, key)
			}
			seen[foldKey(key)] = key
			if err := checkKeys(dec); err != nil {
				return err
			}
		}
	default:
		return nil // a number, text, true, false or null
	}
	_, err = dec.Token() // the closing ] or }
	return err
}

// foldKey is key with each letter replaced by the least of the letters equal to it but for case (as
// strings.EqualFold matches them: K, k and the Kelvin sign K are one; so are S, s and ſ).
func foldKey(key string) string {
	var b strings.Builder
	for _, r := range key {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}
