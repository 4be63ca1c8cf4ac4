//go:build !race

package recordcache

const raceEnabled = false
