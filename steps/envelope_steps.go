package steps

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	kmsapi "github.com/dewconform/dewconform/gen/kms"
)

// dataKey is "that data key": a data key ciphertext the scenario holds, the key and AAD it was made
// under, and its plaintext when the scenario knows it (create-datakey, encrypt-datakey). The plaintext
// is a secret: no message ever prints it.
type dataKey struct {
	cipher string // hex, as the service returns it
	keyID  string
	aad    string // "" = none
	plain  []byte // nil when unknown (create-datakey-without-plaintext)
}

// envelopeDefinitions are the steps of envelope encryption (issue 13).
func (w *World) envelopeDefinitions() []stepDef {
	const who = `(\w+)`
	const which = `(that|the other) key`
	return []stepDef{
		// Given.
		{`^` + who + ` has a data key of that key$`, w.hasDataKey},
		{`^` + who + ` has a data key of that key bound to "([^"]*)"$`, w.hasDataKeyBound},
		{`^` + who + ` has a data key without plaintext of that key$`, w.hasDataKeyWithoutPlaintext},
		{`^that data key has been tampered with$`, w.dataKeyTampered},
		// When.
		{`^` + who + ` creates a data key without plaintext with that key$`, w.createsDataKeyWithoutPlaintext},
		{`^` + who + ` wraps a data key of (\d+) bytes with that key$`, w.wrapsDataKey},
		{`^` + who + ` wraps a data key of (\d+) bytes with that key bound to "([^"]*)"$`, w.wrapsDataKeyBound},
		{`^` + who + ` wraps a data key of (\d+) bytes with a wrong digest with that key$`, w.wrapsDataKeyWrongDigest},
		{`^` + who + ` wraps a data key of (\d+) bytes declared as (\d+) bytes with that key$`, w.wrapsDataKeyWrongLength},
		{`^` + who + ` decrypts that data key with ` + which + `$`, w.decryptsDataKey},
		{`^` + who + ` decrypts that data key with ` + which + ` and the length (\d+)$`, w.decryptsDataKeyLength},
		{`^` + who + ` decrypts that data key with ` + which + ` and the additional authenticated data "([^"]*)"$`, w.decryptsDataKeyAAD},
		{`^` + who + ` decrypts that data key with ` + which + ` without additional authenticated data$`, w.decryptsDataKeyNoAAD},
		{`^` + who + ` re-encrypts that data key to the other key$`, w.reEncrypts},
		{`^` + who + ` re-encrypts that data key to the other key bound to "([^"]*)"$`, w.reEncryptsBound},
		{`^` + who + ` re-encrypts that data key to the other key with the source additional authenticated data "([^"]*)"$`, w.reEncryptsSourceAAD},
		{`^` + who + ` re-encrypts that cipher text to the other key$`, w.reEncryptsCipher},
		{`^` + who + ` asks for (\d+) random bits$`, w.genRandom},
		// Then.
		{thenExpr(`^the response's data_key is that data key$`), then0(w, w.dataKeyIsThat)},
		{thenExpr(`^the response's datakey_dgst is the SHA-256 of its data_key$`), then0(w, w.digestIsSHA256)},
		{thenExpr(`^the response's datakey_length is the byte length of its data_key$`), then0(w, w.lengthMatchesDataKey)},
		{thenExpr(`^` + who + ` can decrypt that data key with ` + which + `$`), then2(w, w.canDecryptDataKey)},
		{thenExpr(`^` + who + ` cannot decrypt that data key with ` + which + `$`), then2(w, w.cannotDecryptDataKey)},
		{thenExpr(`^` + who + ` cannot decrypt that data key with ` + which + ` without additional authenticated data$`), then2(w, w.cannotDecryptDataKeyNoAAD)},
		{thenExpr(`^two answers of (\d+) random bits differ$`), then1(w, w.randomDiffers)},
	}
}

func (w *World) requireDataKey() error {
	if w.dataKey == nil {
		return fmt.Errorf("the scenario has no data key yet (a step such as 'alice has a data key of that key' must come first)")
	}
	return nil
}

func (w *World) keyByName(which string) (*keyRef, error) {
	if which == "the other" {
		if w.otherKey == nil {
			return nil, fmt.Errorf("the scenario has no other key (use 'alice has another key' first)")
		}
		return w.otherKey, nil
	}
	if err := w.requireKey(); err != nil {
		return nil, err
	}
	return w.key, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// ---- calls ----

func (w *World) createDatakeyFull(ctx context.Context, actor string, purpose Purpose, keyID, aad string) (answer, *dataKey, error) {
	cctx, project := w.call(ctx, actor, purpose)
	r, err := w.kms.CreateDatakeyWithResponse(cctx, project, kmsapi.CreateDatakeyRequestBody{
		KeyId: keyID, AdditionalAuthenticatedData: optional(aad)})
	if err != nil {
		return answer{}, nil, fmt.Errorf("create data key: %w", err)
	}
	a := answerOf(r.HTTPResponse, r.Body)
	if r.JSON200 == nil {
		return a, nil, nil
	}
	plain, err := hex.DecodeString(r.JSON200.PlainText)
	if err != nil {
		return a, nil, fmt.Errorf("create data key: plain_text is not hexadecimal")
	}
	return a, &dataKey{cipher: r.JSON200.CipherText, keyID: keyID, aad: aad, plain: plain}, nil
}

func (w *World) createWithoutPlaintext(ctx context.Context, actor string, purpose Purpose, keyID string) (answer, *dataKey, error) {
	cctx, project := w.call(ctx, actor, purpose)
	r, err := w.kms.CreateDatakeyWithoutPlaintextWithResponse(cctx, project, kmsapi.CreateDatakeyRequestBody{KeyId: keyID})
	if err != nil {
		return answer{}, nil, fmt.Errorf("create data key without plaintext: %w", err)
	}
	a := answerOf(r.HTTPResponse, r.Body)
	if r.JSON200 == nil {
		return a, nil, nil
	}
	return a, &dataKey{cipher: r.JSON200.CipherText, keyID: keyID}, nil
}

func (w *World) decryptDataKey(ctx context.Context, actor string, purpose Purpose, keyID, cipher, length string, aad *string) (answer, *kmsapi.DecryptDatakeyResponseBody, error) {
	cctx, project := w.call(ctx, actor, purpose)
	r, err := w.kms.DecryptDatakeyWithResponse(cctx, project, kmsapi.DecryptDatakeyRequestBody{
		KeyId: keyID, CipherText: cipher, DatakeyCipherLength: length, AdditionalAuthenticatedData: aad})
	if err != nil {
		return answer{}, nil, fmt.Errorf("decrypt data key: %w", err)
	}
	return answerOf(r.HTTPResponse, r.Body), r.JSON200, nil
}

// length is the datakey_cipher_length of that data key: its size when known, else the 32 bytes of a
// default (256-bit) data key.
func (d *dataKey) length() string {
	if d.plain != nil {
		return strconv.Itoa(len(d.plain))
	}
	return "32"
}

// ---- Given ----

func (w *World) hasDataKey(ctx context.Context, actor string) error {
	return w.hasDataKeyBound(ctx, actor, "")
}

func (w *World) hasDataKeyBound(ctx context.Context, actor, aad string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	a, d, err := w.createDatakeyFull(ctx, actor, PurposeSetup, w.key.id, aad)
	if err != nil {
		return err
	}
	if d == nil {
		return a.expect(actor+" creates a data key", http.StatusOK)
	}
	w.dataKey = d
	return nil
}

func (w *World) hasDataKeyWithoutPlaintext(ctx context.Context, actor string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	a, d, err := w.createWithoutPlaintext(ctx, actor, PurposeSetup, w.key.id)
	if err != nil {
		return err
	}
	if d == nil {
		return a.expect(actor+" creates a data key without plaintext", http.StatusOK)
	}
	w.dataKey = d
	return nil
}

// dataKeyTampered flips one bit near the end of the ciphertext (inside the authentication tag of a
// GCM envelope, inside whatever the service appends otherwise): it must no longer open.
func (w *World) dataKeyTampered(context.Context) error {
	if err := w.requireDataKey(); err != nil {
		return err
	}
	raw, err := hex.DecodeString(w.dataKey.cipher)
	if err != nil || len(raw) == 0 {
		return fmt.Errorf("that data key's cipher text is not hexadecimal")
	}
	raw[len(raw)-1] ^= 1
	w.dataKey.cipher = strings.ToUpper(hex.EncodeToString(raw))
	return nil
}

// ---- When ----

func (w *World) createsDataKeyWithoutPlaintext(ctx context.Context, actor string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	_, d, err := w.createWithoutPlaintext(ctx, actor, PurposeAct, w.key.id)
	if d != nil {
		w.dataKey = d
	}
	return err
}

// wrap calls encrypt-datakey with a fresh data key of n bytes followed by digest(dek), declared as
// declared bytes.
func (w *World) wrap(ctx context.Context, actor string, n, declared int, aad string, digest func([]byte) []byte) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	if n < 1 || n > 1024 {
		return fmt.Errorf("a data key of %d bytes: want 1 to 1024", n)
	}
	dek := make([]byte, n)
	if _, err := rand.Read(dek); err != nil {
		return err
	}
	cctx, project := w.call(ctx, actor, PurposeAct)
	r, err := w.kms.EncryptDatakeyWithResponse(cctx, project, kmsapi.EncryptDatakeyRequestBody{
		KeyId: w.key.id, PlainText: hex.EncodeToString(append(bytes.Clone(dek), digest(dek)...)),
		DatakeyPlainLength: strconv.Itoa(declared), AdditionalAuthenticatedData: optional(aad)})
	if err != nil {
		return fmt.Errorf("encrypt data key: %w", err)
	}
	if r.JSON200 != nil {
		w.dataKey = &dataKey{cipher: r.JSON200.CipherText, keyID: w.key.id, aad: aad, plain: dek}
	}
	return nil
}

func sha256Of(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

func (w *World) wrapsDataKey(ctx context.Context, actor string, n int) error {
	return w.wrap(ctx, actor, n, n, "", sha256Of)
}

func (w *World) wrapsDataKeyBound(ctx context.Context, actor string, n int, aad string) error {
	return w.wrap(ctx, actor, n, n, aad, sha256Of)
}

func (w *World) wrapsDataKeyWrongDigest(ctx context.Context, actor string, n int) error {
	return w.wrap(ctx, actor, n, n, "", func(b []byte) []byte { return sha256Of(append(bytes.Clone(b), 0)) })
}

func (w *World) wrapsDataKeyWrongLength(ctx context.Context, actor string, n, declared int) error {
	return w.wrap(ctx, actor, n, declared, "", sha256Of)
}

func (w *World) decryptsWith(ctx context.Context, actor, which, length string, aad *string) error {
	if err := w.requireDataKey(); err != nil {
		return err
	}
	k, err := w.keyByName(which)
	if err != nil {
		return err
	}
	_, _, err = w.decryptDataKey(ctx, actor, PurposeAct, k.id, w.dataKey.cipher, length, aad)
	return err
}

func (w *World) decryptsDataKey(ctx context.Context, actor, which string) error {
	if err := w.requireDataKey(); err != nil {
		return err
	}
	return w.decryptsWith(ctx, actor, which, w.dataKey.length(), optional(w.dataKey.aad))
}

func (w *World) decryptsDataKeyLength(ctx context.Context, actor, which string, n int) error {
	if err := w.requireDataKey(); err != nil {
		return err
	}
	return w.decryptsWith(ctx, actor, which, strconv.Itoa(n), optional(w.dataKey.aad))
}

func (w *World) decryptsDataKeyAAD(ctx context.Context, actor, which, aad string) error {
	if err := w.requireDataKey(); err != nil {
		return err
	}
	return w.decryptsWith(ctx, actor, which, w.dataKey.length(), &aad)
}

func (w *World) decryptsDataKeyNoAAD(ctx context.Context, actor, which string) error {
	if err := w.requireDataKey(); err != nil {
		return err
	}
	return w.decryptsWith(ctx, actor, which, w.dataKey.length(), nil)
}

// reEncrypt re-encrypts cipher to the other key; on success that data key (or that cipher text) is
// the new ciphertext, under the other key and destAAD.
func (w *World) reEncrypt(ctx context.Context, actor, cipher string, sourceAAD *string, destAAD string) (*kmsapi.ReEncryptResponseBody, error) {
	if w.otherKey == nil {
		return nil, fmt.Errorf("the scenario has no other key (use 'alice has another key' first)")
	}
	cctx, project := w.call(ctx, actor, PurposeAct)
	r, err := w.kms.ReEncryptWithResponse(cctx, project, kmsapi.ReEncryptRequestBody{
		CipherText: cipher, DestinationKeyId: w.otherKey.id,
		SourceAdditionalAuthenticatedData: sourceAAD, DestinationAdditionalAuthenticatedData: optional(destAAD)})
	if err != nil {
		return nil, fmt.Errorf("re-encrypt: %w", err)
	}
	return r.JSON200, nil
}

func (w *World) reEncryptDataKey(ctx context.Context, actor string, sourceAAD *string, destAAD string) error {
	if err := w.requireDataKey(); err != nil {
		return err
	}
	out, err := w.reEncrypt(ctx, actor, w.dataKey.cipher, sourceAAD, destAAD)
	if out != nil {
		// The old ciphertext stays with the scenario as "the source" for the checks that it still opens.
		w.dataKey = &dataKey{cipher: out.CipherText, keyID: w.otherKey.id, aad: destAAD, plain: w.dataKey.plain}
	}
	return err
}

func (w *World) reEncrypts(ctx context.Context, actor string) error {
	if err := w.requireDataKey(); err != nil {
		return err
	}
	return w.reEncryptDataKey(ctx, actor, optional(w.dataKey.aad), "")
}

func (w *World) reEncryptsBound(ctx context.Context, actor, aad string) error {
	if err := w.requireDataKey(); err != nil {
		return err
	}
	return w.reEncryptDataKey(ctx, actor, optional(w.dataKey.aad), aad)
}

func (w *World) reEncryptsSourceAAD(ctx context.Context, actor, aad string) error {
	return w.reEncryptDataKey(ctx, actor, &aad, "")
}

func (w *World) reEncryptsCipher(ctx context.Context, actor string) error {
	if w.cipher == "" {
		return fmt.Errorf("the scenario has no cipher text (an encryption must succeed first)")
	}
	out, err := w.reEncrypt(ctx, actor, w.cipher, nil, "")
	if out != nil {
		w.cipher = out.CipherText
	}
	return err
}

func (w *World) genRandom(ctx context.Context, actor string, bits int) error {
	cctx, project := w.call(ctx, actor, PurposeAct)
	_, err := w.kms.CreateRandomWithResponse(cctx, project, kmsapi.GenRandomRequestBody{RandomDataLength: strconv.Itoa(bits)})
	if err != nil {
		return fmt.Errorf("gen random: %w", err)
	}
	return nil
}

// ---- Then ----

// hexField reads a hexadecimal field of the last answer; the message never holds its value.
func (w *World) hexField(path string) ([]byte, error) {
	v, r, err := w.field(path)
	if err != nil {
		return nil, err
	}
	s, _ := v.(string)
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("the answer's %s is not hexadecimal (%s %s answered %d)", path, r.method, r.op, r.status)
	}
	return b, nil
}

func (w *World) dataKeyIsThat(context.Context) error {
	if err := w.requireDataKey(); err != nil {
		return err
	}
	if w.dataKey.plain == nil {
		return fmt.Errorf("the scenario does not know that data key's plaintext (made without plaintext)")
	}
	got, err := w.hexField("data_key")
	if err == nil && !bytes.Equal(got, w.dataKey.plain) {
		err = fmt.Errorf("the answer's data_key is not that data key (%d bytes, want %d)", len(got), len(w.dataKey.plain))
	}
	return w.judge(w.last, err)
}

func (w *World) digestIsSHA256(context.Context) error {
	dek, err := w.hexField("data_key")
	if err != nil {
		return w.judge(w.last, err)
	}
	got, err := w.hexField("datakey_dgst")
	if err == nil && !bytes.Equal(got, sha256Of(dek)) {
		err = fmt.Errorf("the answer's datakey_dgst is not the SHA-256 of its data_key")
	}
	return w.judge(w.last, err)
}

func (w *World) lengthMatchesDataKey(context.Context) error {
	dek, err := w.hexField("data_key")
	if err != nil {
		return w.judge(w.last, err)
	}
	return w.judge(w.last, w.checkField("datakey_length", strconv.Itoa(len(dek))))
}

// tryDecrypt is a check call by actor: decrypt-datakey of that data key under the named key, with the
// data key's own AAD unless noAAD.
func (w *World) tryDecrypt(ctx context.Context, actor, which string, noAAD bool) (answer, *kmsapi.DecryptDatakeyResponseBody, string, error) {
	if err := w.requireDataKey(); err != nil {
		return answer{}, nil, "", err
	}
	k, err := w.keyByName(which)
	if err != nil {
		return answer{}, nil, "", err
	}
	aad := optional(w.dataKey.aad)
	if noAAD {
		aad = nil
	}
	what := fmt.Sprintf("%s decrypts that data key with key %s", actor, k.id)
	a, body, err := w.decryptDataKey(ctx, actor, PurposeCheck, k.id, w.dataKey.cipher, w.dataKey.length(), aad)
	return a, body, what, err
}

func (w *World) canDecryptDataKey(ctx context.Context, actor, which string) error {
	a, body, what, err := w.tryDecrypt(ctx, actor, which, false)
	if err != nil {
		return err
	}
	if err := a.expect(what, http.StatusOK); err != nil {
		return err
	}
	if body == nil {
		return fmt.Errorf("%s: 200 without a body", what)
	}
	got, err := hex.DecodeString(body.DataKey)
	if err != nil {
		return fmt.Errorf("%s: data_key is not hexadecimal", what)
	}
	if w.dataKey.plain != nil && !bytes.Equal(got, w.dataKey.plain) {
		return fmt.Errorf("%s: the data key that came back is not that data key", what)
	}
	return nil
}

func (w *World) cannotDecryptDataKey(ctx context.Context, actor, which string) error {
	a, _, what, err := w.tryDecrypt(ctx, actor, which, false)
	if err != nil {
		return err
	}
	return a.refused(what)
}

func (w *World) cannotDecryptDataKeyNoAAD(ctx context.Context, actor, which string) error {
	a, _, what, err := w.tryDecrypt(ctx, actor, which, true)
	if err != nil {
		return err
	}
	return a.refused(what + " without additional authenticated data")
}

// randomDiffers asks for bits random bits a second time (a check call by the last caller) and wants an
// answer other than the call under test's: a constant answer is no random source.
func (w *World) randomDiffers(ctx context.Context, bits int) error {
	last, err := w.lastAnswer()
	if err != nil {
		return err
	}
	first, err := w.hexField("random_data")
	if err != nil {
		return w.judge(last, err)
	}
	actor := last.actor
	cctx, project := w.call(ctx, actor, PurposeCheck)
	r, err := w.kms.CreateRandomWithResponse(cctx, project, kmsapi.GenRandomRequestBody{RandomDataLength: strconv.Itoa(bits)})
	if err != nil {
		return fmt.Errorf("gen random: %w", err)
	}
	a := answerOf(r.HTTPResponse, r.Body)
	if err := a.expect(actor+" asks for random bits again", http.StatusOK); err != nil {
		return err
	}
	if r.JSON200 == nil {
		return fmt.Errorf("gen random: 200 without a body")
	}
	second, err := hex.DecodeString(r.JSON200.RandomData)
	if err != nil {
		return fmt.Errorf("the second random_data is not hexadecimal")
	}
	if bytes.Equal(first, second) {
		return fmt.Errorf("two answers of %d random bits are the same", bits)
	}
	return nil
}
