//go:build race

package sigv4

// raceEnabled: the race detector makes sync.Pool drop what it is given,
// so allocation counts do not hold.
const raceEnabled = true
