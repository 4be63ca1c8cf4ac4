package lambdarun

// PretendEUID makes the runner see the server's user as uid until the
// returned function restores it.
func PretendEUID(uid int) (restore func()) {
	geteuid = func() int { return uid }
	return func() { geteuid = osGeteuid }
}
