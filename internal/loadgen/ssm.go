package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// The bench's parameters. The tree sits among other parameters, so that a
// by-path read is measured against a store much larger than its answer.
const (
	benchString = "/sealbox-bench/string"
	benchSecure = "/sealbox-bench/secure"
	benchPut    = "/sealbox-bench/put"
	benchTree   = "/sealbox-bench/tree/"
	benchOther  = "/sealbox-bench/other/"
)

// setupParameters makes the bench's parameters: a String, a SecureString,
// the tree of c.treeSize parameters under benchTree, and enough others to
// bring the total to c.totalParams. Tree and other parameters already there
// are left as they are, so a large population is made once per data folder.
func (c *client) setupParameters(ctx context.Context, hc *http.Client) error {
	put := func(hc *http.Client, name, value, typ string, overwrite bool) error {
		rq, err := newRequest("", "AmazonSSM.PutParameter", map[string]any{"Name": name, "Value": value, "Type": typ, "Overwrite": overwrite})
		if err != nil {
			return err
		}
		err = c.send(ctx, hc, &rq, nil)
		if err != nil && !overwrite && strings.Contains(err.Error(), "ParameterAlreadyExists") {
			return nil
		}
		return err
	}
	if err := put(hc, benchString, "db.internal:5432", "String", true); err != nil {
		return fmt.Errorf("failed to create the bench parameters: %w", err)
	}
	if err := put(hc, benchSecure, string(plaintext), "SecureString", true); err != nil {
		return fmt.Errorf("failed to create the bench parameters: %w", err)
	}
	tree, total := max(c.treeSize, 10), max(c.totalParams, c.treeSize)
	// Make the rest on several connections: the store batches their commits.
	const workers = 16
	t := c.transport(workers)
	defer t.CloseIdleConnections()
	phc := newHTTPClient(t)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= total || failed.Load() != nil || ctx.Err() != nil {
					return
				}
				name := benchOther + strconv.Itoa(i)
				if i < tree {
					name = benchTree + strconv.Itoa(i)
				}
				if err := put(phc, name, "v"+strconv.Itoa(i), "String", false); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return fmt.Errorf("failed to create the bench tree: %w", err)
	}
	return nil
}
