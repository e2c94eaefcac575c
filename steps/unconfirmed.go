package steps

import (
	"context"
	"errors"
	"strings"

	"github.com/cucumber/godog"
)

// unconfirmedSuffix ends a Then step whose expectation the documents leave open (a status or code the
// pages do not give, a field they contradict). Against a real target such an assertion that does not
// hold is recorded as a difference, and the scenario goes on; against the mock, which implements the
// chosen expectation, it fails the step like any other.
const unconfirmedSuffix = " (unconfirmed)"

// unconfirmedTail replaces the final `$` of every Then expression: the suffix is optional and captures
// nothing, so the step functions take the same arguments with or without it.
const unconfirmedTail = `(?: \(unconfirmed\))?$`

// UnconfirmedAssertion is what an assertion marked (unconfirmed) found: the Observer gets one for each
// such step that could be judged, whether it held or not.
type UnconfirmedAssertion struct {
	Step    string // the step's text, suffix included
	Differs bool   // the target's answer differs from the expectation
	Detail  string // why it differs (the step's failure message), "" when it held
}

// thenExpr makes a Then expression accept the (unconfirmed) suffix.
func thenExpr(expr string) string {
	return strings.TrimSuffix(expr, "$") + unconfirmedTail
}

// settle decides what the result of a Then step means. A step without the suffix returns err as it is:
// the assertion gates. A marked step reports what it found to the Observer, and to the cucumber report as
// an attachment of the step, and, unless the suite gates unconfirmed expectations (the mock), returns nil
// on a difference, so that the effect checks after it still run. A harness error is no difference:
// nothing was judged, and it stays an error.
func (w *World) settle(ctx context.Context, err error) (context.Context, error) {
	if !strings.HasSuffix(w.stepText, unconfirmedSuffix) {
		return ctx, err
	}
	var h *HarnessError
	if err != nil && errors.As(err, &h) {
		return ctx, err
	}
	a := UnconfirmedAssertion{Step: w.stepText, Differs: err != nil}
	note := "unconfirmed expectation held"
	if err != nil {
		a.Detail = err.Error()
		note = "differs from an unconfirmed expectation: " + a.Detail
	}
	if w.s.cfg.Observer != nil {
		w.s.cfg.Observer.Unconfirmed(w.ref, a)
	}
	ctx = godog.Attach(ctx, godog.Attachment{Body: []byte(note), FileName: "unconfirmed.txt", MediaType: "text/plain"})
	if err != nil && w.s.cfg.UnconfirmedGates {
		return ctx, err
	}
	return ctx, nil
}

// The then helpers wrap a Then step's function, keeping its arguments (godog reads their types from the
// signature), so that its result goes through settle.

func then0(w *World, f func(context.Context) error) func(context.Context) (context.Context, error) {
	return func(ctx context.Context) (context.Context, error) { return w.settle(ctx, f(ctx)) }
}

func then1[A any](w *World, f func(context.Context, A) error) func(context.Context, A) (context.Context, error) {
	return func(ctx context.Context, a A) (context.Context, error) { return w.settle(ctx, f(ctx, a)) }
}

func then2[A, B any](w *World, f func(context.Context, A, B) error) func(context.Context, A, B) (context.Context, error) {
	return func(ctx context.Context, a A, b B) (context.Context, error) { return w.settle(ctx, f(ctx, a, b)) }
}
