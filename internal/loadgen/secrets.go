package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The bench's secrets: one of 1 KiB for get-secret-value, and benchSecrets
// more for batch-get-secret-value.
const (
	benchSecret  = "sealbox-bench-secret"
	benchSecrets = 10
)

// setupSecrets makes the bench's secrets, keeping those already there.
func (c *client) setupSecrets(ctx context.Context, hc *http.Client) error {
	value := strings.Repeat("s", 1024)
	names := []string{benchSecret}
	for i := range benchSecrets {
		names = append(names, benchSecret+"-"+strconv.Itoa(i))
	}
	for _, name := range names {
		rq, err := newRequest("", "secretsmanager.CreateSecret", map[string]any{"Name": name, "SecretString": value})
		if err != nil {
			return err
		}
		if err := c.send(ctx, hc, &rq, nil); err != nil && !strings.Contains(err.Error(), "ResourceExistsException") {
			return fmt.Errorf("failed to create the bench secrets: %w", err)
		}
	}
	return nil
}
