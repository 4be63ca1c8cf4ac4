// Package hsmtest makes throwaway SoftHSM2 tokens for the tests of the
// pkcs11 root-key provider: a SoftHSM2 configuration in the test's
// temporary folder, with its own token folder, and tokens made in it with
// softhsm2-util, as an operator would.
//
// The tests skip when SoftHSM2 is not installed, unless SEALBOX_HSM_TESTS=1
// (.ci/run sets it after installing Debian's softhsm2), which makes a
// missing SoftHSM2 a failure.
package hsmtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Module is Debian's SoftHSM2 PKCS#11 library.
const Module = "/usr/lib/softhsm/libsofthsm2.so"

// Default PINs of the tokens Setup makes.
const (
	PIN   = "hsm-pin-5731"
	SOPIN = "hsm-so-pin-2468"
)

// Setup skips the test when SoftHSM2 is missing (fails it under
// SEALBOX_HSM_TESTS=1), points SOFTHSM2_CONF at a new configuration whose
// token folder is in the test's temporary folder, and makes a token for
// each label, with PIN and SOPIN. It uses t.Setenv: the test cannot be
// parallel. The PKCS#11 module reads the configuration when it is
// initialised: make every token before the first provider opens, and close
// the providers before the test ends.
func Setup(t testing.TB, labels ...string) {
	t.Helper()
	_, errLib := os.Stat(Module)
	util, errUtil := exec.LookPath("softhsm2-util")
	if errLib != nil || errUtil != nil {
		if os.Getenv("SEALBOX_HSM_TESTS") == "1" {
			t.Fatalf("SoftHSM2 tests are required (SEALBOX_HSM_TESTS=1) but SoftHSM2 is missing (%s: %v; softhsm2-util: %v): apt-get install softhsm2", Module, errLib, errUtil)
		}
		t.Skip("SoftHSM2 is not installed (apt-get install softhsm2; SEALBOX_HSM_TESTS=1 makes this a failure)")
	}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	body := fmt.Sprintf("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", tokens)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	for _, label := range labels {
		out, err := exec.Command(util, "--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", SOPIN).CombinedOutput()
		if err != nil {
			t.Fatalf("softhsm2-util --init-token --label %s: %v\n%s", label, err, out)
		}
	}
}
