package functions

import (
	"context"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
)

// PutFunctionConcurrency reserves concurrency for the function: at most
// ReservedConcurrentExecutions of its execution environments run at once
// (0 stops every invocation), beyond which Invoke answers
// TooManyRequestsException, ReservedFunctionConcurrentInvocationLimitExceeded.
// The server's own cap (--lambda-concurrency) still bounds them all.
func (s *Service) PutFunctionConcurrency(ctx context.Context, in *PutFunctionConcurrencyRequest) (*Concurrency, error) {
	ref, err := unqualified(sealbox.MustRequest(ctx), in.FunctionName)
	if err != nil {
		return nil, err
	}
	t, err := s.access(ctx, "lambda:PutFunctionConcurrency", ref, nil)
	if err != nil {
		return nil, err
	}
	n := in.ReservedConcurrentExecutions
	if n < 0 {
		return nil, errValidation("1 validation error detected: Value '%d' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 0", n)
	}
	if _, err := s.update(ctx, t.fn, "", func(_ store.Tx, f *functionRecord) error {
		f.Reserved = &n
		return nil
	}); err != nil {
		return nil, err
	}
	return &Concurrency{ReservedConcurrentExecutions: &n}, nil
}

// GetFunctionConcurrency answers the function's reserved concurrency,
// nothing when it has none.
func (s *Service) GetFunctionConcurrency(ctx context.Context, in *GetFunctionConcurrencyRequest) (*GetFunctionConcurrencyResponse, error) {
	ref, err := unqualified(sealbox.MustRequest(ctx), in.FunctionName)
	if err != nil {
		return nil, err
	}
	t, err := s.access(ctx, "lambda:GetFunctionConcurrency", ref, nil)
	if err != nil {
		return nil, err
	}
	return &GetFunctionConcurrencyResponse{ReservedConcurrentExecutions: t.fn.Reserved}, nil
}

// DeleteFunctionConcurrency removes the function's reservation.
func (s *Service) DeleteFunctionConcurrency(ctx context.Context, in *DeleteFunctionConcurrencyRequest) (*Empty, error) {
	ref, err := unqualified(sealbox.MustRequest(ctx), in.FunctionName)
	if err != nil {
		return nil, err
	}
	t, err := s.access(ctx, "lambda:DeleteFunctionConcurrency", ref, nil)
	if err != nil {
		return nil, err
	}
	if _, err := s.update(ctx, t.fn, "", func(_ store.Tx, f *functionRecord) error {
		f.Reserved = nil
		return nil
	}); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}
