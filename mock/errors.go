package mock

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Reason is a refusal the mock can give. Store methods and the HTTP layers return Reasons (possibly
// wrapped with %w for context); the one table below turns a Reason into the status, error code and
// message the real service documents. A Reason is a constant string, so it is comparable with errors.Is
// and there is no package-level mutable state.
type Reason string

func (r Reason) Error() string { return string(r) }

// Gateway refusals (API Gateway in front of both services; flat body with request_id).
const (
	ErrUnauthenticated Reason = "unauthenticated"
	ErrUnknownAPI      Reason = "unknown api"
	ErrBodyTooLarge    Reason = "request body too large"
	ErrBadRequestGW    Reason = "unreadable request"
	ErrCSMSForbidden   Reason = "csms access denied"
)

// KMS refusals.
const (
	ErrKMSInternal             Reason = "kms internal error"
	ErrKMSInvalidJSON          Reason = "kms invalid json"
	ErrKMSBodyTooLong          Reason = "kms request message too long"
	ErrKMSMissingParam         Reason = "kms missing parameter"
	ErrKMSInvalidKeyID         Reason = "kms invalid key id"
	ErrKMSInvalidSequence      Reason = "kms invalid sequence"
	ErrKMSInvalidParam         Reason = "kms invalid parameter"
	ErrKeyNotFound             Reason = "key not found"
	ErrKeyDisabled             Reason = "key disabled"
	ErrKeyPendingDeletion      Reason = "key pending deletion"
	ErrKeyNotUsable            Reason = "key not usable in its state"
	ErrDefaultKey              Reason = "default master key"
	ErrProjectMismatch         Reason = "path project is not the caller's"
	ErrKeyAccessDenied         Reason = "no permission on the key"
	ErrKeyNotDisabled          Reason = "key not disabled"
	ErrKeyNotEnabled           Reason = "key not enabled"
	ErrInvalidPendingDays      Reason = "invalid pending days"
	ErrKeyAlreadyPending       Reason = "key already pending deletion"
	ErrKeyFrozen               Reason = "key state refuses the change"
	ErrKeyNotPendingDeletion   Reason = "key not pending deletion"
	ErrInvalidLimit            Reason = "invalid limit"
	ErrInvalidMarker           Reason = "invalid marker"
	ErrInvalidAlias            Reason = "invalid key alias"
	ErrAliasExists             Reason = "key alias exists"
	ErrKeyQuota                Reason = "key quota reached"
	ErrOnlyCreateGrant         Reason = "grant asks only for create-grant"
	ErrInvalidPrincipal        Reason = "invalid principal"
	ErrGrantQuota              Reason = "grant quota reached"
	ErrGrantNotFound           Reason = "grant not found"
	ErrGrantKeyMismatch        Reason = "grant belongs to another key"
	ErrInvalidCiphertext       Reason = "invalid ciphertext"
	ErrInvalidDatakeyLength    Reason = "invalid datakey length"
	ErrPlaintextTooLong        Reason = "plaintext too long"
	ErrKMSInvalidEncryptionAlg Reason = "unsupported encryption algorithm"
	ErrDatakeyDigest           Reason = "data key digest does not match"
	ErrInvalidRandomLength     Reason = "invalid random data length"
)

// KMS refusals of asymmetric keys (issue 15).
const (
	ErrKeyUsageSign        Reason = "the key signs and verifies only"
	ErrKeyUsageEncrypt     Reason = "the key encrypts and decrypts only"
	ErrAlgorithmMismatch   Reason = "algorithm does not suit the key spec"
	ErrInvalidMessage      Reason = "invalid message or digest"
	ErrNoPublicKey         Reason = "symmetric keys have no public key"
	ErrInvalidKeyUsageSpec Reason = "key usage does not suit the key spec"
	ErrNotMACKey           Reason = "only GENERATE_VERIFY_MAC keys compute MACs"
	ErrMACKeyUsage         Reason = "a GENERATE_VERIFY_MAC key only computes MACs"
)

// CSMS refusals.
const (
	ErrCSMSInternal            Reason = "csms internal error"
	ErrCSMSInvalidParam        Reason = "csms invalid parameter"
	ErrCSMSInvalidJSON         Reason = "csms invalid json"
	ErrSecretNotFound          Reason = "secret not found"
	ErrSecretPendingDelete     Reason = "secret pending deletion cannot be used"
	ErrSecretAlreadyPending    Reason = "secret already pending deletion"
	ErrSecretNotPendingDelete  Reason = "secret not pending deletion"
	ErrSecretExists            Reason = "secret name exists"
	ErrSecretQuota             Reason = "secret quota reached"
	ErrSecretStateRefuses      Reason = "secret state refuses the operation"
	ErrSecretVersionNotFound   Reason = "secret version not found"
	ErrCSMSInvalidRecoveryDays Reason = "invalid recovery window"
	ErrSecretStageNotFound     Reason = "secret stage not found"
	ErrSecretStageQuota        Reason = "secret stage quota reached"
	ErrSecretSystemStage       Reason = "built-in stage cannot be deleted"
	ErrSecretNotRotatable      Reason = "secret type cannot be rotated"
)

// Problem is a resolved refusal: what goes on the wire.
type Problem struct {
	Status int
	Code   string
	Msg    string
}

// shape tells which error envelope a code uses; the code's prefix decides, so the table cannot
// disagree with itself.
type shape int

const (
	shapeGateway shape = iota // {"error_code","error_msg","request_id"}
	shapeKMS                  // {"error":{"error_code","error_msg"}}
	shapeCSMS                 // {"error_code","error_msg"}
)

func (p Problem) shape() shape {
	switch {
	case strings.HasPrefix(p.Code, "KMS."):
		return shapeKMS
	case strings.HasPrefix(p.Code, "CSMS."):
		return shapeCSMS
	default:
		return shapeGateway
	}
}

// errorTable is THE table: every status and code the mock sends. Messages are the service's documented
// texts (current DEW error-code page where it was readable, the legacy page otherwise). A few rows come
// from Choices because the documentation leaves them open (see KNOWN_DIFFERENCES.md).
func errorTable(c Choices) map[Reason]Problem {
	return map[Reason]Problem{
		// Gateway. APIGW.0301's message gets the detail appended ("x-auth-token not found", ...).
		ErrUnauthenticated: {http.StatusUnauthorized, "APIGW.0301", "Incorrect IAM authentication information: "},
		ErrUnknownAPI:      {http.StatusNotFound, "APIGW.0101", "The API does not exist or has not been published in the environment."},
		ErrBodyTooLarge:    {http.StatusRequestEntityTooLarge, "APIGW.0201", "Request entity too large"},
		ErrBadRequestGW:    {http.StatusBadRequest, "APIGW.0201", "API request error."},
		// UNCONFIRMED: CSMS has no documented permission code; the gateway's 0302 (IAM user not authorized)
		// is the likeliest.
		ErrCSMSForbidden: {http.StatusForbidden, "APIGW.0302", "The IAM user is not authorized to access the API."},

		// KMS, request shape.
		ErrKMSInternal:        {http.StatusInternalServerError, "KMS.0101", "KMS error."},
		ErrKMSInvalidJSON:     {http.StatusBadRequest, "KMS.0202", "Invalid JSON format of the request message."},
		ErrKMSBodyTooLong:     {http.StatusBadRequest, "KMS.0203", "Request message too long."},
		ErrKMSMissingParam:    {http.StatusBadRequest, "KMS.0204", "Parameters missing in the request message."},
		ErrKMSInvalidKeyID:    {http.StatusBadRequest, "KMS.0205", "Invalid key ID."},
		ErrKMSInvalidSequence: {http.StatusBadRequest, "KMS.0206", "Invalid sequence number."},
		ErrKMSInvalidParam:    {http.StatusBadRequest, "KMS.0308", "Invalid parameter."},
		ErrInvalidPendingDays: {http.StatusBadRequest, "KMS.1401", "Deletion can be scheduled only 7 to 1096 days in advance."},
		ErrInvalidLimit:       {http.StatusBadRequest, "KMS.1601", "The value of limit falls beyond the range."},
		ErrInvalidMarker:      {http.StatusBadRequest, "KMS.1602", "The value of marker must be greater than or equal to 0."},
		ErrInvalidAlias:       {http.StatusBadRequest, "KMS.1101", "Invalid key_alias."},
		ErrOnlyCreateGrant:    {http.StatusBadRequest, "KMS.2401", "Specify an operation in addition to create-grant."},
		ErrInvalidPrincipal:   {http.StatusBadRequest, "KMS.2402", "Invalid user ID."},
		// UNCONFIRMED: the datakey/encrypt parameter codes (KMS.18xx-22xx) are not readable; the generic
		// invalid-parameter code stands in for them.
		ErrInvalidDatakeyLength:    {http.StatusBadRequest, "KMS.0308", "Invalid parameter."},
		ErrPlaintextTooLong:        {http.StatusBadRequest, "KMS.0308", "Invalid parameter."},
		ErrKMSInvalidEncryptionAlg: {http.StatusBadRequest, "KMS.0308", "Invalid parameter."},
		ErrInvalidCiphertext:       {http.StatusBadRequest, "KMS.0308", "Invalid parameter."},
		ErrDatakeyDigest:           {http.StatusBadRequest, "KMS.0308", "Invalid parameter."},
		ErrInvalidRandomLength:     {http.StatusBadRequest, "KMS.0308", "Invalid parameter."},

		// KMS, resources, access and state.
		ErrProjectMismatch: {http.StatusForbidden, "KMS.0305", "Invalid X-Auth-Token Project Name."},
		ErrKeyNotFound:     {c.KeyNotFoundStatus, "KMS.0207", "The key does not exist."},
		ErrKeyAccessDenied: {http.StatusForbidden, "KMS.0306", "The user has no permission to access the key."},
		ErrKeyDisabled:     {http.StatusBadRequest, "KMS.0209", "The key has been disabled."},
		ErrKeyPendingDeletion: {http.StatusBadRequest, "KMS.0210",
			"The key is in Scheduled deletion state and cannot be used."},
		// UNCONFIRMED: crypto on a key in "1", "5" or "7" has no documented code.
		ErrKeyNotUsable:          {http.StatusBadRequest, "KMS.0308", "Invalid parameter."},
		ErrDefaultKey:            {http.StatusBadRequest, "KMS.0211", "Cannot perform this operation on Default Master Keys."},
		ErrKeyNotDisabled:        {http.StatusBadRequest, "KMS.1201", "The key is not disabled."},
		ErrKeyNotEnabled:         {http.StatusBadRequest, "KMS.1301", "The key is not enabled."},
		ErrKeyAlreadyPending:     {http.StatusBadRequest, "KMS.1402", "The key is in the Pending deletion status."},
		ErrKeyNotPendingDeletion: {http.StatusBadRequest, "KMS.1501", "The key is not in the Pending deletion status."},
		// UNCONFIRMED: scheduling deletion of a frozen ("7") or pending-activation ("1") key.
		ErrKeyFrozen:        {http.StatusBadRequest, "KMS.0308", "Invalid parameter."},
		ErrAliasExists:      {http.StatusBadRequest, "KMS.1104", "The alias already exists."},
		ErrKeyQuota:         {http.StatusBadRequest, "KMS.1105", "The number of keys has reached the upper limit."},
		ErrGrantQuota:       {http.StatusBadRequest, "KMS.2404", "Too many CMK grants."},
		ErrGrantNotFound:    {http.StatusBadRequest, "KMS.2501", "Invalid grant ID."},
		ErrGrantKeyMismatch: {http.StatusBadRequest, "KMS.2502", "grant_id and key_id do not match."},

		// KMS, asymmetric keys. KMS.0335 is on the DEW error-code page ("The cmk is used to sign and
		// verify."); UNCONFIRMED: KMS.0334 is the row above it there, whose description reads "the key is
		// used to encrypt and decrypt" but whose code and text were not readable; the rest have no code.
		ErrKeyUsageSign:        {http.StatusBadRequest, "KMS.0335", "The cmk is used to sign and verify."},
		ErrKeyUsageEncrypt:     {http.StatusBadRequest, "KMS.0334", "The cmk is used to encrypt and decrypt."},
		ErrAlgorithmMismatch:   {http.StatusBadRequest, "KMS.0308", "Invalid parameter."},
		ErrInvalidMessage:      {http.StatusBadRequest, "KMS.0308", "Invalid parameter."},
		ErrNoPublicKey:         {http.StatusBadRequest, "KMS.0308", "Invalid parameter."},
		ErrInvalidKeyUsageSpec: {http.StatusBadRequest, "KMS.0308", "Invalid parameter."},
		ErrNotMACKey:           {http.StatusBadRequest, "KMS.0308", "Invalid parameter."},
		ErrMACKeyUsage:         {http.StatusBadRequest, "KMS.0308", "Invalid parameter."},

		// CSMS.
		// UNCONFIRMED: CSMS's 500 code is not documented.
		ErrCSMSInternal:     {http.StatusInternalServerError, "CSMS.0001", "Internal error."},
		ErrCSMSInvalidParam: {http.StatusBadRequest, "CSMS.0002", "The value of parameter is invalid."},
		// UNCONFIRMED: recovery_window_in_days outside 7..30.
		ErrCSMSInvalidRecoveryDays: {http.StatusBadRequest, "CSMS.0002", "The value of parameter is invalid."},
		ErrCSMSInvalidJSON:         {http.StatusBadRequest, "CSMS.0004", "The requested body format is wrong."},
		ErrSecretNotFound:          {c.SecretNotFoundStatus, c.SecretNotFoundCode, secretNotFoundMsg(c.SecretNotFoundCode)},
		ErrSecretVersionNotFound:   {c.SecretNotFoundStatus, "CSMS.0005", "The resource does not exist."},
		ErrSecretPendingDelete:     {http.StatusBadRequest, c.SecretPendingDeleteCode, pendingMsg(c.SecretPendingDeleteCode)},
		ErrSecretAlreadyPending:    {http.StatusBadRequest, c.SecretAlreadyPendingCode, pendingMsg(c.SecretAlreadyPendingCode)},
		ErrSecretNotPendingDelete:  {http.StatusBadRequest, "CSMS.0108", "The secret is not in schedule delete state."},
		// UNCONFIRMED: the "name already exists" row of the CSMS table could not be read.
		ErrSecretExists: {http.StatusBadRequest, "CSMS.0002", "The value of parameter is invalid."},
		ErrSecretQuota:  {http.StatusBadRequest, "CSMS.0202", "The number of secret has reached the upper limit."},
		// UNCONFIRMED: reading the value of a DISABLED or FROZEN secret, or changing a FROZEN one.
		ErrSecretStateRefuses: {http.StatusBadRequest, "CSMS.0003", "The request is invalid."},
		// UNCONFIRMED: a stage that names no version has no code of its own; the generic not-found code.
		ErrSecretStageNotFound: {c.SecretNotFoundStatus, "CSMS.0005", "The resource does not exist."},
		ErrSecretStageQuota:    {http.StatusBadRequest, "CSMS.0203", "The number of stage has reached the upper limit."},
		ErrSecretSystemStage:   {http.StatusBadRequest, "CSMS.0105", "Can not delete the system internal stage."},
		// UNCONFIRMED: RotateSecret on a COMMON secret: the page states the refusal, not its code.
		ErrSecretNotRotatable: {http.StatusBadRequest, "CSMS.0003", "The request is invalid."},
	}
}

func secretNotFoundMsg(code string) string {
	if code == "CSMS.0106" {
		return "The secret name not found int the db." // sic, the service's text
	}
	return "The resource does not exist."
}

func pendingMsg(code string) string {
	if code == "CSMS.0107" {
		return "The secret is in schedule delete state."
	}
	return "The secret is in the scheduled deletion state."
}

// detailError carries a detail for the message of codes whose text is open-ended (APIGW.0301) and, for
// every code, for the log line. The detail never holds credentials.
type detailError struct {
	reason Reason
	detail string
}

func (e *detailError) Error() string { return fmt.Sprintf("%s: %s", e.reason, e.detail) }
func (e *detailError) Unwrap() error { return e.reason }

// withDetail wraps r with a detail.
func withDetail(r Reason, format string, args ...any) error {
	return &detailError{reason: r, detail: fmt.Sprintf(format, args...)}
}

// problems resolves errors through the table.
type problems struct {
	table map[Reason]Problem
}

// codeReasons maps each of codes (code -> who declares it, for the message) to the Reason whose row has
// that code, or to "" when several rows share it (the caller's generic Reason stands for those). A code
// no row has is an error: the mock could not answer it.
func (p problems) codeReasons(codes map[string]string) (map[string]Reason, error) {
	out := make(map[string]Reason, len(codes))
	for r, pr := range p.table {
		if _, declared := codes[pr.Code]; !declared {
			continue
		}
		if _, shared := out[pr.Code]; shared {
			out[pr.Code] = ""
		} else {
			out[pr.Code] = r
		}
	}
	var missing []string
	for code := range codes {
		if _, ok := out[code]; !ok {
			missing = append(missing, code)
		}
	}
	slices.Sort(missing)
	var errs []error
	for _, code := range missing {
		errs = append(errs, fmt.Errorf("%s declares error code %s, which no row of the error table has", codes[code], code))
	}
	return out, errors.Join(errs...)
}

// resolve maps err to its Problem. fallback is the service's internal-error Reason, used for errors
// that are not Reasons (bugs): they become the service's 500 envelope.
func (p problems) resolve(err error, fallback Reason) Problem {
	var r Reason
	if !errors.As(err, &r) {
		r = fallback
	}
	pr, ok := p.table[r]
	if !ok {
		pr = p.table[fallback]
	}
	if r == ErrUnauthenticated {
		var d *detailError
		if errors.As(err, &d) {
			pr.Msg += d.detail
		} else {
			pr.Msg += "verify aksk signature fail"
		}
	}
	return pr
}
