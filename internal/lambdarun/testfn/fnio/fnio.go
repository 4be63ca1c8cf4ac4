// Package fnio is what the test function (internal/lambdarun/testfn) is
// given and answers: one definition for the function and the tests that
// invoke it.
package fnio

// Event is the test function's input: Action says what it does.
type Event struct {
	Action  string  `json:"action"`
	Seconds float64 `json:"seconds"`
	Path    string  `json:"path"`
	MB      int     `json:"mb"`
	// SecretID is the secret "extension" and "extension-bad-token" read.
	SecretID string `json:"secret_id"`
	// Dial are the addresses (host:port) "dial" connects to.
	Dial []string `json:"dial,omitempty"`
}

// Answer is what the test function returns.
type Answer struct {
	DBEndpoint string `json:"db_endpoint"`
	Secret     string `json:"secret"`
	Count      int64  `json:"count"`
	// PID is the function's process id as its /proc says: the host's
	// when that is the host's /proc, else its id in its environment's
	// PID namespace (lambdatest.OnHost makes it the host's).
	PID int `json:"pid"`
	// PIDNamespace names the function's PID namespace (/proc/self/ns/pid),
	// NSPID its id there, ChildNSPID the id there of "spawn"'s child:
	// the host finds the processes by them.
	PIDNamespace string `json:"pid_ns"`
	NSPID        int    `json:"ns_pid"`
	ChildNSPID   int    `json:"child_ns_pid,omitempty"`
	// TmpBytes is the size of the file system on /tmp.
	TmpBytes uint64 `json:"tmp_bytes"`
	// Wrote is what "write" came to: "ok" or the error.
	Wrote string `json:"wrote,omitempty"`
	// Procs are the process ids "procs" found in /proc, and Init the
	// command line of /proc/1 (its arguments joined by spaces).
	Procs []int  `json:"procs,omitempty"`
	Init  string `json:"init,omitempty"`
	UID   int    `json:"uid"`

	Name     string `json:"function_name"`
	Version  string `json:"function_version"`
	Memory   string `json:"memory"`
	Region   string `json:"region"`
	Endpoint string `json:"endpoint"`
	HasKey   bool   `json:"has_key"`
	HasToken bool   `json:"has_token"`
	TmpDir   string `json:"tmpdir"`
	// InvokedARN is the context's InvokedFunctionArn.
	InvokedARN string `json:"invoked_function_arn"`
	// RuntimeAPI is the Runtime API's address the runtime was given.
	RuntimeAPI string `json:"runtime_api"`
	Readable   *bool  `json:"readable,omitempty"`
	// The extension's answer: its port, HTTP status and SecretString.
	ExtPort   string `json:"ext_port,omitempty"`
	ExtStatus int    `json:"ext_status,omitempty"`
	ExtValue  string `json:"ext_value,omitempty"`
	// Child is the process "spawn" left running, in a session of its own
	// (its id on the host).
	Child int `json:"child,omitempty"`
	// Dialed is what "dial" came to for each address: "connected" or
	// the error.
	Dialed map[string]string `json:"dialed,omitempty"`
}
