package server

import (
	"github.com/sealbox/sealbox/internal/awsapi"
	"github.com/sealbox/sealbox/internal/changes/hub"
)

// changesService is sealbox's own JSON 1.1 service (X-Amz-Target
// Sealbox.<Op>, signing name sealbox): the change feed that sealbox agent
// long-polls to drop a cached value the moment it changes.
//
// Its operator operations act on the server itself (routes_operator.go):
// SealServer.
func changesService(c *hub.Service, op *operatorAPI) *awsapi.Service {
	return &awsapi.Service{
		Name:          "sealbox",
		EventSource:   "sealbox",
		InternalError: "InternalFailure",
		Operations: []awsapi.Operation{
			awsapi.Read("GetChanges", c.GetChanges),
			awsapi.Write("SealServer", op.SealServer),
		},
	}
}
