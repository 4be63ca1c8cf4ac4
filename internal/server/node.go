package server

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sealbox/sealbox/internal/atomicfile"
	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/ids"
)

// NodeIDFileName is the file in the data folder naming this server among
// those sharing a PostgreSQL store.
const NodeIDFileName = "node-id"

// nodeID names this server among the servers sharing its store: what
// keeps their audit file trails apart in the store (audit.FileOptions.Node).
// It is the data folder's, made on its first start on PostgreSQL and kept
// in <data>/node-id: a file trail belongs to its data folder, whatever
// address the server listens on. On bbolt, which one server opens, it is
// "" (the keys the trail always had).
func (s *Server) nodeID() (string, error) {
	sp, err := config.ParseStore(string(s.cfg.Store))
	if err != nil || sp.Kind != config.StorePostgres {
		return "", err
	}
	path := filepath.Join(s.cfg.DataDir, NodeIDFileName)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		id := ids.UUID()
		err = atomicfile.Create(path, []byte(id+"\n"), 0o600)
		if errors.Is(err, fs.ErrExist) {
			b, err = os.ReadFile(path)
		} else if err == nil {
			return id, nil
		}
	}
	if err != nil {
		return "", fmt.Errorf("failed to read the node id: %w", err)
	}
	id := strings.TrimSpace(string(b))
	if id == "" || strings.ContainsAny(id, "/ \t") {
		return "", fmt.Errorf("the node id file %s must hold one word (no slash): delete it to have a new one made", path)
	}
	return id, nil
}
