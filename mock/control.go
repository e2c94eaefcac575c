package mock

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// The control API lets a scenario do what the real service cannot be made to do on demand: seed a
// state (a frozen key), move time forward for ONE key or secret (so concurrent scenarios do not
// disturb each other), and preload resources. It lives under /_dewconform/, answers only when
// Options.Control is set, and needs no credentials: it is a local test tool.

func (s *Server) controlMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_dewconform/health", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "service": "dewconform-mock", "version": Version})
	})
	mux.HandleFunc("POST /_dewconform/keys/{key_id}/state", s.controlKeyState)
	mux.HandleFunc("POST /_dewconform/keys/{key_id}/advance", s.controlKeyAdvance)
	mux.HandleFunc("POST /_dewconform/projects/{project_id}/secrets/{secret_name}/state", s.controlSecretState)
	mux.HandleFunc("POST /_dewconform/projects/{project_id}/secrets/{secret_name}/advance", s.controlSecretAdvance)
	mux.HandleFunc("POST /_dewconform/seed", s.controlSeed)
	mux.HandleFunc("POST /_dewconform/purge", s.controlPurge)
	mux.HandleFunc("GET /_dewconform/stats", s.controlStats)
	mux.HandleFunc("/_dewconform/", func(w http.ResponseWriter, _ *http.Request) {
		controlError(w, http.StatusNotFound, "unknown control endpoint")
	})
	return mux
}

func controlError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// controlFail maps a store error: an unknown resource is 404, anything else 400.
func controlFail(w http.ResponseWriter, err error) {
	if errors.Is(err, ErrKeyNotFound) || errors.Is(err, ErrSecretNotFound) {
		controlError(w, http.StatusNotFound, err.Error())
		return
	}
	controlError(w, http.StatusBadRequest, err.Error())
}

func decodeControl(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid body: %w", err)
	}
	return nil
}

type advanceBody struct {
	Seconds *int64 `json:"seconds"`
}

func (b advanceBody) duration() (time.Duration, error) {
	const maxSeconds = 100 * 366 * 24 * 3600 // a century is more than any pending period
	if b.Seconds == nil || *b.Seconds < 0 || *b.Seconds > maxSeconds {
		return 0, errors.New("seconds must be a number from 0 to 3162240000")
	}
	return time.Duration(*b.Seconds) * time.Second, nil
}

func (s *Server) controlKeyState(w http.ResponseWriter, r *http.Request) {
	var body struct {
		KeyState KeyState `json:"key_state"`
	}
	if err := decodeControl(r, &body); err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	k, err := s.store.SetKeyState(r.PathValue("key_id"), body.KeyState)
	if err != nil {
		controlFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"key_id": k.ID, "key_state": string(k.State)})
}

// decodeAdvance reads an advance request's {"seconds": N}.
func decodeAdvance(r *http.Request) (time.Duration, error) {
	var body advanceBody
	if err := decodeControl(r, &body); err != nil {
		return 0, err
	}
	return body.duration()
}

func (s *Server) controlKeyAdvance(w http.ResponseWriter, r *http.Request) {
	d, err := decodeAdvance(r)
	if err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	id := r.PathValue("key_id")
	now, err := s.store.AdvanceKey(id, d)
	if err != nil {
		controlFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"key_id": id, "now": kmsDate(now)})
}

func (s *Server) controlSecretState(w http.ResponseWriter, r *http.Request) {
	var body struct {
		State SecretState `json:"state"`
	}
	if err := decodeControl(r, &body); err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	project, name := r.PathValue("project_id"), r.PathValue("secret_name")
	sec, err := s.store.SetSecretState(project, name, body.State)
	if err != nil {
		controlFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"project_id": project, "secret_name": name, "state": string(sec.State)})
}

func (s *Server) controlSecretAdvance(w http.ResponseWriter, r *http.Request) {
	d, err := decodeAdvance(r)
	if err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	project, name := r.PathValue("project_id"), r.PathValue("secret_name")
	now, err := s.store.AdvanceSecret(project, name, d)
	if err != nil {
		controlFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"project_id": project, "secret_name": name, "now": csmsTime(now)})
}

func (s *Server) controlSeed(w http.ResponseWriter, r *http.Request) {
	seed, err := ParseSeed(infoFrom(r.Context()).body)
	if err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	res, err := s.applySeed(seed)
	if err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// --- store side of the control API ---

// SetKeyState forces a key into any documented state. Entering "4" schedules the deletion 7 days
// ahead (the minimum) unless one is set; leaving it clears the date.
func (s *store) SetKeyState(id string, state KeyState) (Key, error) {
	if !state.valid() {
		return Key{}, fmt.Errorf("key_state %q: want one of 1, 2, 3, 4, 5, 7", state)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.findKeyAnyProject(id)
	if err != nil {
		return Key{}, err
	}
	s.forceKeyStateLocked(k, state, MinPendingDays)
	return k.Key, nil
}

func (s *store) forceKeyStateLocked(k *keyRec, state KeyState, pendingDays int) {
	switch {
	case state == KeyPendingDeletion && k.State != KeyPendingDeletion:
		k.DeletionDate = s.nowAt(k.offset).Add(time.Duration(pendingDays) * 24 * time.Hour)
	case state != KeyPendingDeletion:
		k.DeletionDate = time.Time{}
	}
	k.State = state
}

// AdvanceKey moves one key's clock forward and returns its new "now".
func (s *store) AdvanceKey(id string, d time.Duration) (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.findKeyAnyProject(id)
	if err != nil {
		return time.Time{}, err
	}
	k.offset += d
	return s.nowAt(k.offset), nil
}

// SetSecretState forces a secret into any state. Entering PENDING_DELETE schedules the deletion 30
// days ahead (the documented default window).
func (s *store) SetSecretState(project, name string, state SecretState) (Secret, error) {
	if !state.valid() {
		return Secret{}, fmt.Errorf("state %q: want one of ENABLED, DISABLED, PENDING_DELETE, FROZEN", state)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.lookupSecret(project, name)
	if err != nil {
		return Secret{}, err
	}
	s.forceSecretStateLocked(r, state, MaxRecoveryDays)
	return r.clone(), nil
}

func (s *store) forceSecretStateLocked(r *secretRec, state SecretState, days int) {
	switch {
	case state == SecretPendingDelete && r.State != SecretPendingDelete:
		r.before = r.State
		r.ScheduledDelete = s.nowAt(r.offset).Add(time.Duration(days) * 24 * time.Hour)
	case state != SecretPendingDelete:
		r.ScheduledDelete = time.Time{}
	}
	r.State = state
}

// AdvanceSecret moves one secret's clock forward and returns its new "now".
func (s *store) AdvanceSecret(project, name string, d time.Duration) (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.lookupSecret(project, name)
	if err != nil {
		return time.Time{}, err
	}
	r.offset += d
	return s.nowAt(r.offset), nil
}
