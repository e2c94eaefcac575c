package mock

import (
	"fmt"
	"io"
	"net/http"
)

// Choices are the behaviours the documentation leaves open (UNCONFIRMED in the reference notes). The
// zero value means the defaults recorded in KNOWN_DIFFERENCES.md.
type Choices struct {
	// SecretNotFoundCode is the CSMS code for an unknown secret: "CSMS.0005" (default) or "CSMS.0106".
	SecretNotFoundCode string
	// SecretNotFoundStatus is its status: 400 (default, as the error-code page lists) or 404.
	SecretNotFoundStatus int
	// SecretPendingDeleteCode is the code for reading the value of, or updating, a PENDING_DELETE secret:
	// "CSMS.0103" (default) or "CSMS.0107".
	SecretPendingDeleteCode string
	// SecretAlreadyPendingCode is the code for scheduling the deletion of a secret already PENDING_DELETE:
	// "CSMS.0107" (default) or "CSMS.0103".
	SecretAlreadyPendingCode string
	// RestoreDisabledSecretTo is the state a secret that was DISABLED before its deletion was scheduled
	// returns to on restore: SecretEnabled (default; the doc says "usable again") or SecretDisabled.
	RestoreDisabledSecretTo SecretState
	// KeyNotFoundStatus is the status of KMS.0207: 400 (default) or 404.
	KeyNotFoundStatus int
}

func (c Choices) withDefaults() (Choices, error) {
	if c.SecretNotFoundCode == "" {
		c.SecretNotFoundCode = "CSMS.0005"
	}
	if c.SecretNotFoundStatus == 0 {
		c.SecretNotFoundStatus = http.StatusBadRequest
	}
	if c.SecretPendingDeleteCode == "" {
		c.SecretPendingDeleteCode = "CSMS.0103"
	}
	if c.SecretAlreadyPendingCode == "" {
		c.SecretAlreadyPendingCode = "CSMS.0107"
	}
	if c.RestoreDisabledSecretTo == "" {
		c.RestoreDisabledSecretTo = SecretEnabled
	}
	if c.KeyNotFoundStatus == 0 {
		c.KeyNotFoundStatus = http.StatusBadRequest
	}
	switch {
	case c.SecretNotFoundCode != "CSMS.0005" && c.SecretNotFoundCode != "CSMS.0106":
		return c, fmt.Errorf("secret not-found code %q: want CSMS.0005 or CSMS.0106", c.SecretNotFoundCode)
	case c.SecretNotFoundStatus != http.StatusBadRequest && c.SecretNotFoundStatus != http.StatusNotFound:
		return c, fmt.Errorf("secret not-found status %d: want 400 or 404", c.SecretNotFoundStatus)
	case !isPendingCode(c.SecretPendingDeleteCode):
		return c, fmt.Errorf("secret pending-delete code %q: want CSMS.0103 or CSMS.0107", c.SecretPendingDeleteCode)
	case !isPendingCode(c.SecretAlreadyPendingCode):
		return c, fmt.Errorf("secret already-pending code %q: want CSMS.0103 or CSMS.0107", c.SecretAlreadyPendingCode)
	case c.RestoreDisabledSecretTo != SecretEnabled && c.RestoreDisabledSecretTo != SecretDisabled:
		return c, fmt.Errorf("restore state %q: want ENABLED or DISABLED", c.RestoreDisabledSecretTo)
	case c.KeyNotFoundStatus != http.StatusBadRequest && c.KeyNotFoundStatus != http.StatusNotFound:
		return c, fmt.Errorf("key not-found status %d: want 400 or 404", c.KeyNotFoundStatus)
	}
	return c, nil
}

func isPendingCode(code string) bool { return code == "CSMS.0103" || code == "CSMS.0107" }

// Limits are the quotas the mock enforces, so that no client can exhaust its memory. The real numbers are
// UNCONFIRMED (a third-party note says 100 keys per project). Keys pending deletion count (the documentation
// does not say whether they do on the real service; counting them is the cautious reading), and one run of
// the conformance suite leaves about 130 keys pending deletion, so the defaults are high enough for many
// runs against one `dewconform serve`, and a shared mock purges what runs left (Server.Purge); set them
// lower to test the quota errors.
type Limits struct {
	KeysPerProject    int // KMS.1105; default 10000
	GrantsPerKey      int // KMS.2404; default 100
	SecretsPerProject int // CSMS.0202; default 10000
}

func (l Limits) withDefaults() Limits {
	if l.KeysPerProject <= 0 {
		l.KeysPerProject = 10000
	}
	if l.GrantsPerKey <= 0 {
		l.GrantsPerKey = 100
	}
	if l.SecretsPerProject <= 0 {
		l.SecretsPerProject = 10000
	}
	return l
}

// storeConfig is what the in-memory store needs; it is derived from Options.
type storeConfig struct {
	Clock   Clock
	Rand    io.Reader
	Limits  Limits
	Choices Choices
}
