package portguard

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/sealbox/sealbox/internal/procstat"
)

// TablePrefix begins the name of every Guard's table.
const TablePrefix = "sealbox_rie_"

// ErrHeld: a port is already guarded for an owner.
var ErrHeld = errors.New("portguard: the port is already guarded")

// Guard is one process's table. Safe for concurrent use.
type Guard struct {
	mu     sync.Mutex
	conn   *nftables.Conn
	table  *nftables.Table
	ports  *nftables.Set       // the guarded ports
	owners *nftables.Set       // port . uid: who may connect to and listen on it
	held   map[uint16][]uint32 // a port's owners
	closed bool
}

// tableName is the name of the table of the process pid started at start,
// in the PID namespace pidNS (its inode): PIDs are the namespace's.
func tableName(pid int, start, pidNS uint64) string {
	return TablePrefix + strconv.Itoa(pid) + "_" + strconv.FormatUint(start, 10) + "_" + strconv.FormatUint(pidNS, 10)
}

// pidNamespace is this process's PID namespace's inode.
func pidNamespace() (uint64, bool) {
	var st unix.Stat_t
	if unix.Stat("/proc/self/ns/pid", &st) != nil {
		return 0, false
	}
	return st.Ino, true
}

// New makes this process's table (after Sweep has removed dead ones'),
// guarding no port yet. Its error wraps the kernel's: EPERM without
// CAP_NET_ADMIN, ENOENT or EOPNOTSUPP without nf_tables' parts.
func New() (*Guard, error) {
	start, ok := startTime(os.Getpid())
	ns, nsOK := pidNamespace()
	if !ok || !nsOK {
		return nil, errors.New("portguard: cannot read this process's start time and PID namespace")
	}
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		return nil, fmt.Errorf("portguard: no loopback interface: %w", err)
	}
	conn, err := nftables.New()
	if err != nil {
		return nil, fmt.Errorf("portguard: %w", err)
	}
	g := &Guard{conn: conn, held: map[uint16][]uint32{}}
	g.table = conn.AddTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: tableName(os.Getpid(), start, ns)})
	accept := nftables.ChainPolicyAccept
	chain := conn.AddChain(&nftables.Chain{Name: "output", Table: g.table, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityFilter, Policy: &accept})
	g.ports = &nftables.Set{Table: g.table, Name: "ports", KeyType: nftables.TypeInetService}
	g.owners = &nftables.Set{Table: g.table, Name: "owners", Concatenation: true,
		KeyType: nftables.MustConcatSetType(nftables.TypeInetService, nftables.TypeUID)}
	for _, s := range []*nftables.Set{g.ports, g.owners} {
		// A set given no ID takes one from a counter google/nftables
		// keeps for every Conn without a lock (a data race when two
		// guards are made at once): ours names it in the batch instead.
		s.ID = 1<<30 + setIDs.Add(1)
		if err := conn.AddSet(s, nil); err != nil {
			return nil, fmt.Errorf("portguard: %w", err)
		}
	}
	for _, exprs := range g.rules(uint32(lo.Index)) {
		conn.AddRule(&nftables.Rule{Table: g.table, Chain: chain, Exprs: exprs})
	}
	if err := conn.Flush(); err != nil {
		return nil, fmt.Errorf("portguard: failed to make the table: %w", err)
	}
	return g, nil
}

// setIDs numbers the sets a guard adds, from far above the library's own
// counter; an ID only names a set within the batch that adds it.
var setIDs atomic.Uint32

// TCP header: the ports' offsets, and the flags' byte and bits.
const (
	sportOffset = 0
	dportOffset = 2
	flagsOffset = 13
	flagSYN     = 0x02
	flagACK     = 0x10
)

// rules are the output chain's, on loopback (lo's index) only:
//
//	SYN to a port, from its owner's socket: accept
//	SYN to a port, from root's socket: accept
//	SYN to a port: reject with a TCP reset
//	SYN-ACK from a port, from its owner's socket: accept
//	SYN-ACK from a port: drop
//
// meta skuid is the user that opened the socket (a SYN-ACK's is its
// listener's). A packet whose socket the kernel cannot name (none, or a
// time-wait one) matches no accept, so a SYN of it is refused: the guard
// fails closed. Packets of connections already made are not looked at:
// none is made without passing it.
func (g *Guard) rules(lo uint32) [][]expr.Any {
	tcp := func(flags byte) []expr.Any {
		return []expr.Any{
			&expr.Meta{Key: expr.MetaKeyOIF, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(lo)},
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_TCP}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: flagsOffset, Len: 1},
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 1, Mask: []byte{flagSYN | flagACK}, Xor: []byte{0}},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{flags}},
		}
	}
	port := func(offset uint32) *expr.Payload {
		return &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: offset, Len: 2}
	}
	// port . skuid in 32-bit registers 8 and 9 (NFT_REG32_00, _01), as a
	// concatenation is looked up.
	owner := func(offset uint32) []expr.Any {
		return []expr.Any{
			&expr.Payload{DestRegister: unix.NFT_REG32_00, Base: expr.PayloadBaseTransportHeader, Offset: offset, Len: 2},
			&expr.Meta{Key: expr.MetaKeySKUID, Register: unix.NFT_REG32_01},
			&expr.Lookup{SourceRegister: unix.NFT_REG32_00, SetName: g.owners.Name, SetID: g.owners.ID},
		}
	}
	inPorts := func(offset uint32) []expr.Any {
		return []expr.Any{port(offset), &expr.Lookup{SourceRegister: 1, SetName: g.ports.Name, SetID: g.ports.ID}}
	}
	accept := &expr.Verdict{Kind: expr.VerdictAccept}
	cat := func(parts ...[]expr.Any) []expr.Any {
		var out []expr.Any
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	return [][]expr.Any{
		cat(tcp(flagSYN), owner(dportOffset), []expr.Any{accept}),
		cat(tcp(flagSYN), inPorts(dportOffset), []expr.Any{
			&expr.Meta{Key: expr.MetaKeySKUID, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(0)},
			accept}),
		cat(tcp(flagSYN), inPorts(dportOffset), []expr.Any{&expr.Reject{Type: unix.NFT_REJECT_TCP_RST}}),
		cat(tcp(flagSYN|flagACK), owner(sportOffset), []expr.Any{accept}),
		cat(tcp(flagSYN|flagACK), inPorts(sportOffset), []expr.Any{&expr.Verdict{Kind: expr.VerdictDrop}}),
	}
}

func portKey(port uint16) []byte { return binary.BigEndian.AppendUint16(nil, port) }

// ownerKey is port . uid as the kernel compares it: the port in network
// order padded to a register, the uid in the host's.
func ownerKey(port uint16, uid uint32) []byte {
	return append(binary.BigEndian.AppendUint16(nil, port), append([]byte{0, 0}, binaryutil.NativeEndian.PutUint32(uid)...)...)
}

// Guard guards ports for uid, in one change of the ruleset: from then on
// only uid's and root's sockets may connect to them, and only uid's
// answer. Call it before the port's listener binds.
func (g *Guard) Guard(uid uint32, ports ...uint16) error {
	return g.guard([]uint32{uid}, ports)
}

// Serve guards ports the server (root) listens on for uid: from then on
// only uid's and root's sockets may connect to them, and only theirs
// answer (the server binds them before uid's processes start, so its
// listener is the one there).
func (g *Guard) Serve(uid uint32, ports ...uint16) error {
	return g.guard([]uint32{uid, 0}, ports)
}

func (g *Guard) guard(uids []uint32, ports []uint16) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return errors.New("portguard: closed")
	}
	var pk, ok []nftables.SetElement
	for _, p := range ports {
		if _, held := g.held[p]; held {
			return fmt.Errorf("%w: %d", ErrHeld, p)
		}
		pk = append(pk, nftables.SetElement{Key: portKey(p)})
		for _, uid := range uids {
			ok = append(ok, nftables.SetElement{Key: ownerKey(p, uid)})
		}
	}
	if err := g.conn.SetAddElements(g.owners, ok); err != nil {
		return err
	}
	if err := g.conn.SetAddElements(g.ports, pk); err != nil {
		return err
	}
	if err := g.conn.Flush(); err != nil {
		return fmt.Errorf("portguard: failed to guard ports %v: %w", ports, err)
	}
	for _, p := range ports {
		g.held[p] = uids
	}
	return nil
}

// Release stops guarding ports (those guarded): call it once nothing of
// their owner listens on them any more.
func (g *Guard) Release(ports ...uint16) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	var pk, ok []nftables.SetElement
	for _, p := range ports {
		uids, held := g.held[p]
		if !held {
			continue
		}
		pk = append(pk, nftables.SetElement{Key: portKey(p)})
		for _, uid := range uids {
			ok = append(ok, nftables.SetElement{Key: ownerKey(p, uid)})
		}
	}
	if len(pk) == 0 {
		return nil
	}
	if err := g.conn.SetDeleteElements(g.ports, pk); err != nil {
		return err
	}
	if err := g.conn.SetDeleteElements(g.owners, ok); err != nil {
		return err
	}
	if err := g.conn.Flush(); err != nil {
		return fmt.Errorf("portguard: failed to release ports %v: %w", ports, err)
	}
	for _, p := range ports {
		delete(g.held, p)
	}
	return nil
}

// Held reports whether port is guarded (for an owner not yet released).
func (g *Guard) Held(port uint16) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.held[port]
	return ok
}

// Table is the name of the guard's table.
func (g *Guard) Table() string { return g.table.Name }

// Close removes the table, and with it every rule.
func (g *Guard) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil
	}
	g.closed = true
	g.conn.DelTable(g.table)
	return g.conn.Flush()
}

// Sweep removes the tables of Guards whose process is gone (killed before
// its Close): a table named TablePrefix+PID_START_NS, NS this process's PID
// namespace, whose PID is not a live process started at START. A table of
// another PID namespace (a server in a container sharing the host's
// network) is left alone: its PIDs cannot be looked up from here. It
// returns how many it removed.
func Sweep() (int, error) {
	conn, err := nftables.New()
	if err != nil {
		return 0, err
	}
	tables, err := conn.ListTablesOfFamily(nftables.TableFamilyINet)
	if err != nil {
		return 0, err
	}
	own, ok := pidNamespace()
	if !ok {
		return 0, errors.New("portguard: cannot read this process's PID namespace")
	}
	n := 0
	for _, t := range tables {
		if _, _, ns, ok := parseName(t.Name); !ok || ns != own || Live(t.Name) {
			continue
		}
		conn.DelTable(t)
		n++
	}
	if n == 0 {
		return 0, nil
	}
	return n, conn.Flush()
}

// Tables lists the Guards' tables there are, live or not.
func Tables() ([]string, error) {
	conn, err := nftables.New()
	if err != nil {
		return nil, err
	}
	tables, err := conn.ListTablesOfFamily(nftables.TableFamilyINet)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range tables {
		if _, _, _, ok := parseName(t.Name); ok {
			out = append(out, t.Name)
		}
	}
	return out, nil
}

// Live reports whether name is a Guard's table whose process still runs
// (as this process's PID namespace sees it).
func Live(name string) bool {
	pid, start, _, ok := parseName(name)
	if !ok {
		return false
	}
	s, alive := startTime(pid)
	return alive && s == start
}

func parseName(name string) (pid int, start, pidNS uint64, ok bool) {
	rest, found := strings.CutPrefix(name, TablePrefix)
	f := strings.Split(rest, "_")
	if !found || len(f) != 3 {
		return 0, 0, 0, false
	}
	pid, err1 := strconv.Atoi(f[0])
	start, err2 := strconv.ParseUint(f[1], 10, 64)
	pidNS, err3 := strconv.ParseUint(f[2], 10, 64)
	return pid, start, pidNS, err1 == nil && err2 == nil && err3 == nil && pid > 0
}

// startTime is pid's start time; not ok if it is not a live process.
func startTime(pid int) (uint64, bool) {
	p, ok := procstat.Read(pid)
	return p.Start, ok
}
