package main

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/openapi"
)

// gen/ops must be what the current specs produce.
func TestGeneratedConstantsAreFresh(t *testing.T) {
	want, err := render(openapi.Operations())
	require.NoError(t, err)
	got, err := os.ReadFile("../../gen/ops/ops.gen.go")
	require.NoError(t, err)
	require.True(t, bytes.Equal(want, got), "gen/ops/ops.gen.go is stale: run make generate and commit the result")
}

func TestIdent(t *testing.T) {
	require.Equal(t, "CancelKeyDeletion", ident("cancel-key-deletion"))
	require.Equal(t, "GenRandom", ident("gen-random"))
}
