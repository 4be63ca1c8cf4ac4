package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/boltstore"
	"github.com/sealbox/sealbox/internal/store/pgstore"
)

// openStore opens the raw store --store names: the data folder's bbolt
// file, or a PostgreSQL database that several servers may share.
func openStore(ctx context.Context, cfg config.Config) (store.Store, error) {
	sp, err := config.ParseStore(string(cfg.Store))
	if err != nil {
		return nil, err
	}
	if sp.Kind == config.StorePostgres {
		opts := pgstore.Options{}
		if cfg.StorePasswordFile != "" {
			if opts.Password, err = ReadPasswordFile(cfg.StorePasswordFile); err != nil {
				return nil, err
			}
		}
		s, err := pgstore.Open(ctx, sp.URL, opts)
		if err != nil {
			return nil, fmt.Errorf("failed to open the store %s: %w", cfg.Store, err)
		}
		return s, nil
	}
	dir := sp.Dir
	if dir == "" {
		dir = cfg.DataDir
	}
	return boltstore.Open(filepath.Join(dir, boltstore.DefaultFileName), boltstore.Options{})
}

// ReadPasswordFile answers the first line of a password file.
func ReadPasswordFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("failed to read the store password file: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return "", fmt.Errorf("the store password file %s is empty", path)
	}
	return line, nil
}
