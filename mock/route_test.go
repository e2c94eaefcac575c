package mock

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/openapi"
)

// TestFieldReasons: every per-field code the spec declares becomes the Reason whose row has that code
// (or the generic Reason when rows share it), so validation answers exactly the declared code.
func TestFieldReasons(t *testing.T) {
	c, err := Choices{}.withDefaults()
	require.NoError(t, err)
	errs := problems{errorTable(c)}
	byCode := errs.byCode()
	declared := 0
	for _, op := range openapi.Operations() {
		svc := svcKMS
		if op.Service == "csms" {
			svc = svcCSMS
		}
		fields, err := fieldReasons(op, byCode, genericReason(svc))
		require.NoError(t, err, op.Slug)
		require.Len(t, fields, len(op.FieldCodes), op.Slug)
		for field, code := range op.FieldCodes {
			declared++
			require.Equal(t, code, errs.table[fields[field]].Code, "%s %s", op.Slug, field)
		}
	}
	require.NotZero(t, declared, "the KMS spec declares per-field codes")

	// A code several rows share is the generic Reason; a code no row has is refused, naming the field.
	op := openapi.Operation{ID: "Sign", FieldCodes: map[string]string{"message": "KMS.0308"}}
	fields, err := fieldReasons(op, byCode, ErrKMSInvalidParam)
	require.NoError(t, err)
	require.Greater(t, len(byCode["KMS.0308"]), 1)
	require.Equal(t, map[string]Reason{"message": ErrKMSInvalidParam}, fields)
	op.FieldCodes["signing_algorithm"] = "KMS.9999"
	_, err = fieldReasons(op, byCode, ErrKMSInvalidParam)
	require.ErrorContains(t, err, "Sign: field signing_algorithm declares error code KMS.9999")
}
