//go:build race

package console_test

// raceEnabled: under the race detector the in-process server is several
// times slower, so page-load budgets are not the product's.
const raceEnabled = true
