// Package portguard keeps local users off the loopback ports of Lambda
// execution environments. AWS's emulator (aws-lambda-rie) serves its
// invoke port and its Runtime API without credentials: whoever connects
// may run the function, or take its next event and answer it. A Guard is
// a netfilter table of the server's own, made through nftables, whose
// output chain lets a new TCP connection reach a guarded port only from
// a socket of the port's owner (the environment's user) or of root (the
// server), and lets only the owner's socket answer one: everyone else's
// SYN to the port is answered by a reset, and a SYN-ACK from anyone
// else's listener (one that bound the port before the emulator could) is
// dropped.
//
// The table is named after its process (sealbox_rie_PID_START_NS, START
// the process's start time in clock ticks since boot, NS its PID
// namespace), so that Sweep can tell a killed server's table, which it
// removes, from a live one's.
//
// It needs Linux, CAP_NET_ADMIN in the network namespace and a kernel
// with nf_tables' inet family, meta skuid and reject.
package portguard
