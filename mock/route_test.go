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
	codes, err := errs.codeReasons(declaredCodes())
	require.NoError(t, err)
	declared := 0
	for _, op := range openapi.Operations() {
		for field, code := range op.FieldCodes {
			declared++
			require.Equal(t, code, errs.table[fieldReason(codes, op, field, ErrKMSInvalidParam)].Code, "%s %s", op.Slug, field)
		}
		require.Equal(t, ErrCSMSInvalidParam, fieldReason(codes, op, "no-such-field", ErrCSMSInvalidParam), op.Slug)
	}
	require.NotZero(t, declared, "the KMS spec declares per-field codes")

	// A code several rows share is the generic Reason; a code no row has is refused, naming who declares it.
	codes, err = errs.codeReasons(map[string]string{"KMS.0308": "Sign field message"})
	require.NoError(t, err)
	op := openapi.Operation{ID: "Sign", FieldCodes: map[string]string{"message": "KMS.0308"}}
	require.Equal(t, ErrKMSInvalidParam, fieldReason(codes, op, "message", ErrKMSInvalidParam))
	require.Equal(t, ErrCSMSInvalidParam, fieldReason(codes, op, "message", ErrCSMSInvalidParam), "shared: the caller's generic")
	_, err = errs.codeReasons(map[string]string{"KMS.9999": "Sign field signing_algorithm"})
	require.ErrorContains(t, err, "Sign field signing_algorithm declares error code KMS.9999")
}
