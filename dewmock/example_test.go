package dewmock_test

import (
	"fmt"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	kms "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kms/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kms/v2/model"

	"github.com/dewconform/dewconform/dewmock"
)

// The official Go SDK creates a key and a data key on the mock with AK/SK credentials, encrypts and
// decrypts a message under the key. In a test, dewmock.Start(t) replaces New and the deferred Close.
func Example() {
	srv, err := dewmock.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	alice := srv.Default()
	cred := basic.NewCredentialsBuilder().WithAk(alice.AK).WithSk(alice.SK).WithProjectId(alice.ProjectID).Build()
	client := kms.NewKmsClient(kms.KmsClientBuilder().WithEndpoints([]string{srv.URL}).WithCredential(cred).Build())

	key, err := client.CreateKey(&model.CreateKeyRequest{Body: &model.CreateKeyRequestBody{KeyAlias: "orders"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	dek, err := client.CreateDatakey(&model.CreateDatakeyRequest{Body: &model.CreateDatakeyRequestBody{KeyId: *key.KeyInfo.KeyId}})
	if err != nil {
		fmt.Println(err)
		return
	}
	sealed, err := client.EncryptData(&model.EncryptDataRequest{Body: &model.EncryptDataRequestBody{
		KeyId: *key.KeyInfo.KeyId, PlainText: "order 42",
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	opened, err := client.DecryptData(&model.DecryptDataRequest{Body: &model.DecryptDataRequestBody{CipherText: *sealed.CipherText}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("key id:", len(*key.KeyInfo.KeyId), "characters")
	fmt.Println("data key:", len(*dek.PlainText)/2, "bytes")
	fmt.Println("decrypted:", *opened.PlainText)
	// Output:
	// key id: 36 characters
	// data key: 32 bytes
	// decrypted: order 42
}
