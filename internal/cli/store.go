package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/server"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/boltstore"
	"github.com/sealbox/sealbox/internal/store/pgstore"
)

const storeUsage = `Usage: sealbox store <command> [flags]

Commands:
  copy   copy every record of one store to another (servers stopped)
`

const storeCopyUsage = `Usage: sealbox store copy --from STORE --to STORE [--force] [--password-file FILE]

Copies every record of one store to another, as stored: sealed by the
barrier, so the root key is not needed and the copy opens with the same
root key as the original. Then it reads both stores again and compares
them record by record (key and bytes). STORE is bolt:DIR (DIR/sealbox.db,
the data folder of a server on the embedded store) or a postgres:// URL
(the password from the URL, PGPASSWORD, PGPASSFILE or --password-file).

Stop every server on both stores first: a server on bbolt holds its file's
lock (the copy then fails saying so); servers on PostgreSQL are not
detected. A destination that holds records is refused unless --force,
which deletes them first.

Examples:
  sealbox store copy --from bolt:./sealbox-data --to postgres://sealbox@db:5432/sealbox?sslmode=verify-full
  sealbox store copy --from postgres://sealbox@db/sealbox --to bolt:/var/backups/sealbox

Flags:
`

func runStore(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, storeUsage)
		return errUsage
	}
	switch args[0] {
	case "copy":
		return runStoreCopy(ctx, args[1:], env)
	case "-h", "--help", "help":
		fmt.Fprint(env.Stdout, storeUsage)
		return nil
	}
	fmt.Fprintf(env.Stderr, "sealbox store: unknown command %q\n\n%s", args[0], storeUsage)
	return errUsage
}

// copyPage is how many records one transaction of the copy reads or
// writes, so that neither store holds the whole copy at once.
const copyPage = 500

func runStoreCopy(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("store copy", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fmt.Fprint(env.Stderr, storeCopyUsage); fs.PrintDefaults() }
	from := fs.String("from", "", "the store to copy: bolt:`DIR` or a postgres:// URL")
	to := fs.String("to", "", "the store to copy to: bolt:`DIR` or a postgres:// URL")
	force := fs.Bool("force", false, "delete what the destination holds first")
	pwFile := fs.String("password-file", "", "`file` holding PostgreSQL's password (first line), for a URL without one")
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		fs.Usage()
		return errUsage
	}
	if *from == *to {
		return errors.New("--from and --to name the same store")
	}
	password := ""
	if *pwFile != "" {
		var err error
		if password, err = server.ReadPasswordFile(*pwFile); err != nil {
			return err
		}
	}
	src, err := openCopyStore(ctx, *from, password, "--from")
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := openCopyStore(ctx, *to, password, "--to")
	if err != nil {
		return err
	}
	defer dst.Close()

	n, err := count(ctx, dst)
	if err != nil {
		return err
	}
	if n > 0 && !*force {
		return fmt.Errorf("the destination %s is not empty (%d records): --force deletes them first", config.StoreURL(*to), n)
	}
	if n > 0 {
		if err := clearStore(ctx, dst); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "deleted the %d records the destination held\n", n)
	}
	records, size, err := copyRecords(ctx, src, dst)
	if err != nil {
		return err
	}
	if err := verifyCopy(ctx, src, dst); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "copied %d records (%d bytes) from %s to %s, and verified them record by record\n",
		records, size, config.StoreURL(*from), config.StoreURL(*to))
	return nil
}

// openCopyStore opens the raw store spec names, as a server would (a bolt
// DIR is the folder of sealbox.db; the folder is made if need be).
func openCopyStore(ctx context.Context, spec, password, flagName string) (store.Store, error) {
	sp, err := config.ParseStore(spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flagName, err)
	}
	switch {
	case sp.Kind == config.StorePostgres:
		s, err := pgstore.Open(ctx, sp.URL, pgstore.Options{Password: password})
		if err != nil {
			return nil, fmt.Errorf("%s: failed to open %s: %w", flagName, config.StoreURL(spec), err)
		}
		return s, nil
	case sp.Dir == "":
		return nil, fmt.Errorf("%s: name the data folder: bolt:DIR", flagName)
	}
	s, err := boltstore.Open(filepath.Join(sp.Dir, boltstore.DefaultFileName), boltstore.Options{})
	if errors.Is(err, boltstore.ErrInUse) {
		return nil, fmt.Errorf("%s: %w: stop the server first", flagName, err)
	}
	return s, err
}

type record struct {
	key   string
	value []byte
}

// page reads up to copyPage records after after, in key order.
func page(ctx context.Context, s store.Store, after string) ([]record, error) {
	var out []record
	err := s.View(ctx, func(tx store.Tx) error {
		out = out[:0] // a View does not run twice, but cheap to be sure
		return tx.Scan("", after, func(k string, v []byte) error {
			out = append(out, record{k, slices.Clone(v)})
			if len(out) == copyPage {
				return store.ErrStop
			}
			return nil
		})
	})
	return out, err
}

func count(ctx context.Context, s store.Store) (int, error) {
	n := 0
	for after := ""; ; {
		p, err := page(ctx, s, after)
		if err != nil {
			return 0, fmt.Errorf("failed to read the destination: %w", err)
		}
		n += len(p)
		if len(p) < copyPage {
			return n, nil
		}
		after = p[len(p)-1].key
	}
}

func clearStore(ctx context.Context, s store.Store) error {
	for {
		p, err := page(ctx, s, "")
		if err != nil {
			return err
		}
		if len(p) == 0 {
			return nil
		}
		err = s.Update(ctx, func(tx store.Tx) error {
			for _, r := range p {
				if err := tx.Delete(r.key); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("failed to empty the destination: %w", err)
		}
	}
}

func copyRecords(ctx context.Context, src, dst store.Store) (records, size int64, err error) {
	for after := ""; ; {
		p, err := page(ctx, src, after)
		if err != nil {
			return records, size, fmt.Errorf("failed to read the source: %w", err)
		}
		if len(p) == 0 {
			return records, size, nil
		}
		err = dst.Update(ctx, func(tx store.Tx) error {
			for _, r := range p {
				if err := tx.Put(r.key, r.value); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return records, size, fmt.Errorf("failed to write the destination after %d records: %w", records, err)
		}
		for _, r := range p {
			records++
			size += int64(len(r.value))
		}
		after = p[len(p)-1].key
	}
}

// verifyCopy reads both stores again, page by page, and compares every
// key and value.
func verifyCopy(ctx context.Context, src, dst store.Store) error {
	n := 0
	for after := ""; ; {
		a, err := page(ctx, src, after)
		if err != nil {
			return fmt.Errorf("failed to read the source again: %w", err)
		}
		b, err := page(ctx, dst, after)
		if err != nil {
			return fmt.Errorf("failed to read the copy: %w", err)
		}
		for i := range max(len(a), len(b)) {
			switch {
			case i >= len(a):
				return fmt.Errorf("verification failed: the copy holds %q, which the source does not", b[i].key)
			case i >= len(b) || a[i].key != b[i].key:
				return fmt.Errorf("verification failed: record %d, %q, is missing from the copy", n+i+1, a[i].key)
			case !bytes.Equal(a[i].value, b[i].value):
				return fmt.Errorf("verification failed: the copy of record %q differs from the source", a[i].key)
			}
		}
		n += len(a)
		if len(a) < copyPage {
			return nil
		}
		after = a[len(a)-1].key
	}
}
