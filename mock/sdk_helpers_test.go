package mock_test

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	csms "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/csms/v1"
	kms "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kms/v2"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/identity"
	"github.com/dewconform/dewconform/mock"
)

// The official SDK's tests share these: a mock behind a test server, and SDK clients of the default
// identities signing with AK/SK, as a team that points the SDK at `dewconform serve` would build them.

// serveMock starts a mock with opts and returns its URL; it stops with the test.
func serveMock(t *testing.T, opts mock.Options) (*mock.Server, string) {
	t.Helper()
	srv, err := mock.New(opts)
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, ts.URL
}

func sdkCredentials(t *testing.T, name string) *basic.Credentials {
	t.Helper()
	id, ok := identity.Defaults().ByName(name)
	require.True(t, ok, "no identity %s", name)
	return basic.NewCredentialsBuilder().WithAk(id.AK).WithSk(id.SK).WithProjectId(id.ProjectID).Build()
}

// sdkKMS is a KMS client of the identity name against url.
func sdkKMS(t *testing.T, url, name string) *kms.KmsClient {
	t.Helper()
	return kms.NewKmsClient(kms.KmsClientBuilder().WithEndpoints([]string{url}).WithCredential(sdkCredentials(t, name)).Build())
}

// sdkCSMS is a CSMS client of the identity name against url.
func sdkCSMS(t *testing.T, url, name string) *csms.CsmsClient {
	t.Helper()
	return csms.NewCsmsClient(csms.CsmsClientBuilder().WithEndpoints([]string{url}).WithCredential(sdkCredentials(t, name)).Build())
}

// requireSDKCode checks that err is the service's refusal with status and code, as the SDK parsed it.
func requireSDKCode(t *testing.T, err error, status int, code string) {
	t.Helper()
	var se *sdkerr.ServiceResponseError
	require.True(t, errors.As(err, &se), "want a service error, got %v", err)
	require.Equal(t, status, se.StatusCode, "status of %v", se)
	require.Equal(t, code, se.ErrorCode, "code of %v", se)
	require.NotEmpty(t, se.RequestId, "the SDK reads X-Request-Id")
}
