// Package ops is generated from openapi/*.yaml by internal/opsgen. Do not edit; run make generate.
package ops

//go:generate go run ../../internal/opsgen ops.gen.go
