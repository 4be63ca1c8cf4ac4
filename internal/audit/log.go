package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
)

// Sink takes serialised events. Write must not return before the line is
// handed to durable storage as far as the sink promises (see each sink).
type Sink interface {
	Name() string
	Write(ctx context.Context, e *Event, line []byte) error
	Close() error
}

// ErrNoSink is returned by Log when no sink took the event.
var ErrNoSink = errors.New("audit: no sink accepted the event")

// Logger fans each event out to its sinks. One success is enough (the
// others are logged loudly); none fails the call. Safe for concurrent use.
type Logger struct {
	sinks []Sink
	log   *slog.Logger

	mu      sync.Mutex
	failing map[string]bool
}

// NewLogger returns a Logger over sinks; logger reports failing sinks.
func NewLogger(logger *slog.Logger, sinks ...Sink) *Logger {
	if logger == nil {
		logger = slog.Default()
	}
	return &Logger{sinks: sinks, log: logger, failing: map[string]bool{}}
}

// Log records e. It returns ErrNoSink (wrapped with the causes) when no
// sink took it; the caller must then not answer the request with success.
func (l *Logger) Log(ctx context.Context, e *Event) error {
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("failed to encode audit event: %w", err)
	}
	line = append(line, '\n')
	ok := 0
	var errs []error
	for _, s := range l.sinks {
		if err := s.Write(ctx, e, line); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.Name(), err))
			l.setFailing(s.Name(), err)
			continue
		}
		l.setFailing(s.Name(), nil)
		ok++
	}
	if ok == 0 {
		return fmt.Errorf("%w: %w", ErrNoSink, errors.Join(errs...))
	}
	return nil
}

func (l *Logger) setFailing(name string, err error) {
	l.mu.Lock()
	was := l.failing[name]
	l.failing[name] = err != nil
	l.mu.Unlock()
	switch {
	case err != nil && !was:
		l.log.Error("audit sink is failing", "sink", name, "err", err)
	case err == nil && was:
		l.log.Warn("audit sink recovered", "sink", name)
	}
}

// Close closes every sink.
func (l *Logger) Close() error {
	var errs []error
	for _, s := range l.sinks {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
