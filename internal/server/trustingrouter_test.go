package server

import (
	"github.com/sealbox/sealbox/internal/awsapi"
	"github.com/sealbox/sealbox/internal/server/optable/optabletest"
)

// trustingRouter is the real protocol layer over real services on a memory
// store, trusting every caller: the tests that use it measure or check what
// comes after the signature check.
func trustingRouter() *awsapi.Router { return optabletest.TrustingRouter().Router }
