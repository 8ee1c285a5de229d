package main

import "flag"

// flagsChecked is called by every command once all its flags have been checked, and before its first
// lasting or expensive step: before it creates a folder or a file, starts a backend, or allocates
// anything whose size a flag sets. Nothing a command does before this point may depend on a flag
// being sane. The flag table test (flags_test.go) replaces it to stop each command there, so that
// every flag of every command can be tried with hostile values in seconds.
var flagsChecked = func(*flag.FlagSet) error { return nil }
