//go:build !linux

package portguard

import "errors"

// TablePrefix begins the name of every Guard's table.
const TablePrefix = "sealbox_rie_"

var errLinux = errors.New("portguard: netfilter tables need Linux")

// ErrHeld: a port is already guarded for an owner.
var ErrHeld = errors.New("portguard: the port is already guarded")

// Guard is Linux's alone: New fails elsewhere.
type Guard struct{}

func New() (*Guard, error)                     { return nil, errLinux }
func Sweep() (int, error)                      { return 0, nil }
func (g *Guard) Guard(uint32, ...uint16) error { return errLinux }
func (g *Guard) Serve(uint32, ...uint16) error { return errLinux }
func (g *Guard) Release(...uint16) error       { return nil }
func (g *Guard) Held(uint16) bool              { return false }
func (g *Guard) Table() string                 { return "" }
func (g *Guard) Close() error                  { return nil }
