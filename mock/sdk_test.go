package mock_test

import (
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	csms "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/csms/v1"
	csmsmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/csms/v1/model"
	kms "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kms/v2"
	kmsmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kms/v2/model"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/identity"
	"github.com/dewconform/dewconform/mock"
)

// The official Go SDK, pointed at the mock with AK/SK credentials, runs the whole life cycle of the four
// seed operations and gets the documented errors for the refused cases. This is what a team that calls KMS
// from its application relies on when it uses `dewconform serve` in its tests.
func TestOfficialSDKAgainstMock(t *testing.T) {
	_, url := serveMock(t, mock.Options{})
	ids := identity.Defaults()
	kmsFor := func(name string) *kms.KmsClient { return sdkKMS(t, url, name) }
	csmsFor := func(name string) *csms.CsmsClient { return sdkCSMS(t, url, name) }
	requireCode := requireSDKCode
	alice, bob, carol, dave := kmsFor("alice"), kmsFor("bob"), kmsFor("carol"), kmsFor("dave")
	bobID, _ := ids.ByName("bob")
	carolID, _ := ids.ByName("carol")

	// Key life cycle: create, schedule deletion, cancel it (the key comes back disabled), refuse a second cancel.
	created, err := alice.CreateKey(&kmsmodel.CreateKeyRequest{Body: &kmsmodel.CreateKeyRequestBody{KeyAlias: "sdk-key"}})
	require.NoError(t, err)
	keyID := created.KeyInfo.KeyId
	require.NotNil(t, keyID)

	scheduled, err := alice.DeleteKey(&kmsmodel.DeleteKeyRequest{Body: &kmsmodel.ScheduleKeyDeletionRequestBody{KeyId: *keyID, PendingDays: "7"}})
	require.NoError(t, err)
	require.Equal(t, "4", *scheduled.KeyState)

	cancelled, err := alice.CancelKeyDeletion(&kmsmodel.CancelKeyDeletionRequest{Body: &kmsmodel.OperateKeyRequestBody{KeyId: *keyID}})
	require.NoError(t, err)
	require.Equal(t, *keyID, *cancelled.KeyId)
	require.Equal(t, "3", *cancelled.KeyState)

	_, err = alice.CancelKeyDeletion(&kmsmodel.CancelKeyDeletionRequest{Body: &kmsmodel.OperateKeyRequestBody{KeyId: *keyID}})
	requireCode(t, err, 400, "KMS.1501")

	_, err = alice.EnableKey(&kmsmodel.EnableKeyRequest{Body: &kmsmodel.OperateKeyRequestBody{KeyId: *keyID}})
	require.NoError(t, err)

	// Grants: bob may create data keys through his grant until it is revoked; only the key's creator revokes.
	grant, err := alice.CreateGrant(&kmsmodel.CreateGrantRequest{Body: &kmsmodel.CreateGrantRequestBody{
		KeyId: *keyID, GranteePrincipal: bobID.UserID, Operations: []string{"create-datakey", "describe-key"},
	}})
	require.NoError(t, err)
	grantID := *grant.GrantId
	require.Len(t, grantID, 64)

	_, err = bob.CreateDatakey(&kmsmodel.CreateDatakeyRequest{Body: &kmsmodel.CreateDatakeyRequestBody{KeyId: *keyID}})
	require.NoError(t, err)

	_, err = dave.CancelGrant(&kmsmodel.CancelGrantRequest{Body: &kmsmodel.RevokeGrantRequestBody{KeyId: *keyID, GrantId: grantID}})
	requireCode(t, err, 403, "KMS.0306")

	_, err = alice.CancelGrant(&kmsmodel.CancelGrantRequest{Body: &kmsmodel.RevokeGrantRequestBody{KeyId: *keyID, GrantId: grantID}})
	require.NoError(t, err)

	_, err = bob.CreateDatakey(&kmsmodel.CreateDatakeyRequest{Body: &kmsmodel.CreateDatakeyRequestBody{KeyId: *keyID}})
	requireCode(t, err, 403, "KMS.0306")

	_, err = alice.CancelGrant(&kmsmodel.CancelGrantRequest{Body: &kmsmodel.RevokeGrantRequestBody{KeyId: *keyID, GrantId: grantID}})
	requireCode(t, err, 400, "KMS.2501")

	// Retire: carol, the retiring principal, retires; bob, a grantee without retire-grant, may not.
	carolP := carolID.UserID
	grant2, err := alice.CreateGrant(&kmsmodel.CreateGrantRequest{Body: &kmsmodel.CreateGrantRequestBody{
		KeyId: *keyID, GranteePrincipal: bobID.UserID, Operations: []string{"create-datakey"}, RetiringPrincipal: &carolP,
	}})
	require.NoError(t, err)
	_, err = bob.CancelSelfGrant(&kmsmodel.CancelSelfGrantRequest{Body: &kmsmodel.RevokeGrantRequestBody{KeyId: *keyID, GrantId: *grant2.GrantId}})
	requireCode(t, err, 403, "KMS.0306")
	_, err = carol.CancelSelfGrant(&kmsmodel.CancelSelfGrantRequest{Body: &kmsmodel.RevokeGrantRequestBody{KeyId: *keyID, GrantId: *grant2.GrantId}})
	require.NoError(t, err)
	_, err = bob.CreateDatakey(&kmsmodel.CreateDatakeyRequest{Body: &kmsmodel.CreateDatakeyRequestBody{KeyId: *keyID}})
	requireCode(t, err, 403, "KMS.0306")

	// Secrets: schedule the deletion of a secret, restore it, and refuse a restore of an enabled secret.
	secrets := csmsFor("alice")
	value := "sdk-secret-value"
	_, err = secrets.CreateSecret(&csmsmodel.CreateSecretRequest{Body: &csmsmodel.CreateSecretRequestBody{Name: "sdk-secret", SecretString: &value}})
	require.NoError(t, err)
	pending, err := secrets.DeleteSecretForSchedule(&csmsmodel.DeleteSecretForScheduleRequest{
		SecretName: "sdk-secret", Body: &csmsmodel.DeleteSecretForScheduleRequestBody{RecoveryWindowInDays: 7},
	})
	require.NoError(t, err)
	require.Equal(t, "PENDING_DELETE", *pending.Secret.State)
	require.NotNil(t, pending.Secret.ScheduledDeleteTime)

	restored, err := secrets.RestoreSecret(&csmsmodel.RestoreSecretRequest{SecretName: "sdk-secret"})
	require.NoError(t, err)
	require.Equal(t, "ENABLED", *restored.Secret.State)
	require.Nil(t, restored.Secret.ScheduledDeleteTime)

	_, err = secrets.RestoreSecret(&csmsmodel.RestoreSecretRequest{SecretName: "sdk-secret"})
	requireCode(t, err, 400, "CSMS.0108")

	// Wrong credentials are the gateway's 401.
	bad := basic.NewCredentialsBuilder().WithAk("ALICEACCESSKEYID0001").WithSk("not-the-secret").WithProjectId("0123456789abcdef0123456789abcdef").Build()
	badClient := kms.NewKmsClient(kms.KmsClientBuilder().WithEndpoints([]string{url}).WithCredential(bad).Build())
	_, err = badClient.ListKeys(&kmsmodel.ListKeysRequest{Body: &kmsmodel.ListKeysRequestBody{}})
	requireCode(t, err, 401, "APIGW.0301")
}
