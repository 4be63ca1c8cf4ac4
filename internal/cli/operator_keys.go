package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sealbox/sealbox/internal/operator"
	"github.com/sealbox/sealbox/internal/sealboxcall"
)

// keyCommands are the barrier's key operations on a running server,
// signed calls to Sealbox.GetBarrierStatus, RotateBarrierKey and
// RekeyRootKey.
func keyCommands() []command {
	return []command{
		{"keys", "show the barrier's root-key provider, key terms and rewrap progress", runKeyStatus},
		{"rotate", "make a new barrier key term (online); --rewrap moves older values to it", runRotate},
		{"rekey", "wrap the barrier keyring under a new root key or provider (the data is not re-encrypted)", runRekey},
	}
}

// operatorCall is a signed call to sealbox's own service with the command's
// AWS flags.
func operatorCall(ctx context.Context, o *awsOptions, env Env, op string, in, out any) error {
	cfg, err := o.load(ctx, env)
	if err != nil {
		return err
	}
	return sealboxcall.Call(ctx, cfg, o.endpointFor("sealbox", env), op, in, out)
}

func runKeyStatus(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("sealbox operator keys", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	o := addAWSFlags(fs, false)
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	var out operator.GetBarrierStatusOutput
	if err := operatorCall(ctx, o, env, "GetBarrierStatus", operator.GetBarrierStatusInput{}, &out); err != nil {
		return err
	}
	printBarrierStatus(env.Stdout, &out)
	return nil
}

func printBarrierStatus(w io.Writer, st *operator.GetBarrierStatusOutput) {
	fmt.Fprintf(w, "Sealed        %v\nProvider      %s\n", st.Sealed, st.Provider)
	for k, v := range st.Settings {
		fmt.Fprintf(w, "  %-11s %s\n", k, v)
	}
	fmt.Fprintf(w, "Active term   %d\nTerms held    %d\n", st.Term, st.Terms)
	if st.Rewrap != nil {
		printRewrap(w, st.Rewrap)
	}
}

func printRewrap(w io.Writer, r *operator.RewrapStatus) {
	fmt.Fprintf(w, "Rewrap        %s to term %d: %d values scanned, %d moved", r.State, r.Term, r.Scanned, r.Rewrapped)
	if r.Error != "" {
		fmt.Fprintf(w, " (%s)", r.Error)
	}
	fmt.Fprintln(w)
}

func runRotate(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("sealbox operator rotate", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	o := addAWSFlags(fs, false)
	rewrap := fs.Bool("rewrap", false, "then move every value of an older term to the new one, in the background")
	wait := fs.Bool("wait", false, "with --rewrap, wait until the rewrap ends, printing its progress")
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	var out operator.RotateBarrierKeyOutput
	if err := operatorCall(ctx, o, env, "RotateBarrierKey", operator.RotateBarrierKeyInput{Rewrap: *rewrap}, &out); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "The barrier key is now term %d: new values are sealed under it, older terms still open.\n", out.Term)
	if !*rewrap || !*wait {
		return nil
	}
	for {
		var st operator.GetBarrierStatusOutput
		if err := operatorCall(ctx, o, env, "GetBarrierStatus", operator.GetBarrierStatusInput{}, &st); err != nil {
			return err
		}
		if r := st.Rewrap; r != nil {
			printRewrap(env.Stdout, r)
			switch r.State {
			case operator.RewrapCompleted:
				return nil
			case operator.RewrapFailed, operator.RewrapStopped:
				return fmt.Errorf("the rewrap to term %d did not complete: %s %s", r.Term, r.State, r.Error)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func runRekey(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("sealbox operator rekey", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	o := addAWSFlags(fs, false)
	to := fs.String("to", "", "the new root-key `provider`: file, passphrase, shamir, pkcs11 or kms")
	var settings settingsFlag
	fs.Var(&settings, "set", "a provider `setting=value` named as its server flag, repeatable: root-key-file=/abs/path, pkcs11-module=..., pkcs11-pin-file=..., root-key-kms-key-id=... (paths are on the server)")
	shares := fs.Int("key-shares", 5, "shamir: how many shares to make")
	threshold := fs.Int("key-threshold", 3, "shamir: how many shares unseal")
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	in := operator.RekeyRootKeyInput{Provider: *to, Settings: settings.m}
	switch *to {
	case "":
		fmt.Fprintln(env.Stderr, "sealbox operator rekey: --to is required")
		return errUsage
	case "passphrase":
		pass := env.Getenv("SEALBOX_NEW_PASSPHRASE")
		if pass == "" {
			p, err := promptSecret("new root-key passphrase: ")
			if err != nil {
				return fmt.Errorf("the new passphrase comes from $SEALBOX_NEW_PASSPHRASE or a terminal: %w", err)
			}
			pass = string(p)
		}
		in.Passphrase = pass
	case "shamir":
		n, t := int32(*shares), int32(*threshold)
		in.KeyShares, in.KeyThreshold = &n, &t
	}
	var out operator.RekeyRootKeyOutput
	if err := operatorCall(ctx, o, env, "RekeyRootKey", in, &out); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "The barrier keyring is now wrapped by the %s provider. Start the server with --root-key %s from now on.\n", out.Provider, out.Provider)
	if len(out.Shares) > 0 {
		fmt.Fprintf(env.Stdout, "\nUnseal key shares (any %d unseal; they are shown once and kept nowhere):\n", *threshold)
		for i, s := range out.Shares {
			fmt.Fprintf(env.Stdout, "  Share %d: %s\n", i+1, s)
		}
	}
	return nil
}

// settingsFlag collects repeated name=value flags.
type settingsFlag struct{ m map[string]string }

func (f *settingsFlag) String() string { return "" }

func (f *settingsFlag) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return errors.New("want setting=value")
	}
	if f.m == nil {
		f.m = map[string]string{}
	}
	f.m[name] = value
	return nil
}
