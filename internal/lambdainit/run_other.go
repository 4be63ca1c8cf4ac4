//go:build !linux

package lambdainit

import "errors"

func run(string, []string) (int, error) {
	return 1, errors.New("needs Linux (a PID namespace per execution environment)")
}
