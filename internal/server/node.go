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
// It is the data folder's: --node-id or a made name on its first start on
// PostgreSQL, kept in <data>/node-id (a later --node-id must match): a
// file trail belongs to its data folder, whatever address the server
// listens on (which may change, or repeat on another machine). On bbolt, which one server opens, it is
// "" (the keys the trail always had).
func (s *Server) nodeID() (string, error) {
	sp, err := config.ParseStore(string(s.cfg.Store))
	if err != nil || sp.Kind != config.StorePostgres {
		return "", err
	}
	path := filepath.Join(s.cfg.DataDir, NodeIDFileName)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		id := s.cfg.NodeID
		if id == "" {
			id = ids.UUID()
		}
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
	if s.cfg.NodeID != "" && s.cfg.NodeID != id {
		// The trail's heads in the store are under the first name: a new
		// name would leave this data folder's files unchecked.
		return "", fmt.Errorf("--node-id %q differs from the name this data folder's audit trail was kept under (%q, in %s): start with --node-id %q, or give each name its own data folder", s.cfg.NodeID, id, path, id)
	}
	return id, nil
}
