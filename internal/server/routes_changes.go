package server

import (
	"github.com/sealbox/sealbox/internal/awsapi"
	"github.com/sealbox/sealbox/internal/changes/hub"
	"github.com/sealbox/sealbox/internal/operator"
)

// changesService is sealbox's own JSON 1.1 service (X-Amz-Target
// Sealbox.<Op>, signing name sealbox): the change feed that sealbox agent
// long-polls to drop a cached value the moment it changes, and the
// operator's operations: the barrier's keys (package operator) and
// SealServer (routes_operator.go).
func changesService(c *hub.Service, op *operator.Service, seal *operatorAPI) *awsapi.Service {
	return &awsapi.Service{
		Name:          "sealbox",
		EventSource:   "sealbox",
		InternalError: "InternalFailure",
		Operations: []awsapi.Operation{
			awsapi.Read("GetChanges", c.GetChanges),
			awsapi.Read("GetBarrierStatus", op.GetBarrierStatus),
			awsapi.Write("RotateBarrierKey", op.RotateBarrierKey),
			awsapi.Write("RekeyRootKey", op.RekeyRootKey),
			awsapi.Write("SealServer", seal.SealServer),
		},
	}
}
