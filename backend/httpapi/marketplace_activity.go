package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"fusebox/backend/errs"
	"fusebox/backend/marketplace"
	"fusebox/backend/relay"
)

// The end user's activity for their own installs (the marketplace
// iframe): the deliveries an installed integration's relay route made for
// this end user, its success rate and last error, and the retry of a
// failed one. Every route first loads the install scoped to the session's
// end user (another user's install is "not found"), and a delivery is
// only ever looked up through that install's own route.

// activityLimit is how many of an install's latest deliveries are listed.
const activityLimit = 50

// An end user's retries of one install's deliveries: a burst of
// endUserRetryBurst, then one per 10 s. A retry sends the delivery's
// whole batch again at once, and one the receiver refuses fails at once,
// so unlimited retries would let an end user send request after request
// to a receiver (which they may have chosen) at no cost.
const (
	endUserRetryRate  = rate.Limit(0.1)
	endUserRetryBurst = 5
)

// endUserDelivery is what an end user sees of a delivery: no URL, no
// headers, no body, no response; the reason in plain words.
type endUserDelivery struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	Records  int       `json:"records"`
	Status   string    `json:"status"`
	Attempts int       `json:"attempts"`
	Reason   string    `json:"reason,omitempty"`
	CanRetry bool      `json:"can_retry"`
}

type endUserActivity struct {
	InstallID   string            `json:"install_id"`
	Delivered   int64             `json:"delivered"`
	Failed      int64             `json:"failed"`
	Pending     int64             `json:"pending"`
	SuccessRate float64           `json:"success_rate"` // -1: none finished
	LastError   string            `json:"last_error"`
	LastErrorAt *time.Time        `json:"last_error_at,omitempty"`
	Deliveries  []endUserDelivery `json:"deliveries"`
}

// plainReason says why a delivery did not go through without the
// destination's URL, addresses or answer: "HTTP 500 Internal Server
// Error", "Held: your plan's monthly limit was reached", else a generic
// sentence.
func plainReason(status, reason string) string {
	switch {
	case reason == "":
		return ""
	case status == relay.StatusHeld || strings.HasPrefix(reason, "plan limit"):
		return "Held: your plan's limit was reached"
	case strings.HasPrefix(reason, "HTTP "):
		r := reason
		if i := strings.IndexAny(r, ";:"); i > 0 {
			r = r[:i]
		}
		if len(r) > 60 {
			r = r[:60]
		}
		return "The service answered " + strings.TrimPrefix(r, "HTTP ")
	}
	return "The service could not be reached"
}

func canRetry(status string) bool { return status == relay.StatusFailed || status == relay.StatusDead }

// ownInstall is the session's end user's install named in the path.
func (s *Server) ownInstall(r *http.Request, sess marketplace.Session) (marketplace.Install, error) {
	return s.deps.Marketplace.Install(r.Context(), sess.User.ID, r.PathValue("id"))
}

func (s *Server) mpInstallActivity(w http.ResponseWriter, r *http.Request, sess marketplace.Session) {
	in, err := s.ownInstall(r, sess)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	act := endUserActivity{InstallID: in.ID, SuccessRate: -1, Deliveries: []endUserDelivery{}}
	if in.DestinationID == "" || s.deps.Relay == nil {
		s.writeJSON(w, http.StatusOK, act)
		return
	}
	st, err := s.deps.Relay.Stats(r.Context(), in.DestinationID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	act.Delivered = st.ByStatus[relay.StatusDelivered]
	act.Failed = st.ByStatus[relay.StatusFailed] + st.ByStatus[relay.StatusDead]
	act.Pending = st.ByStatus[relay.StatusPending]
	if fin := act.Delivered + act.Failed; fin > 0 {
		act.SuccessRate = float64(act.Delivered) / float64(fin)
	}
	list, err := s.deps.Relay.ListDeliveries(r.Context(), relay.DeliveryFilter{Destination: in.DestinationID, Limit: activityLimit})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	for _, d := range list {
		if d.DestinationID != in.DestinationID { // never another route's
			continue
		}
		ed := endUserDelivery{ID: d.ID, At: d.CreatedAt, Records: d.Records, Status: d.Status, Attempts: d.Attempts,
			Reason: plainReason(d.Status, d.Reason), CanRetry: canRetry(d.Status)}
		if ed.Reason != "" && act.LastError == "" && (canRetry(d.Status) || d.Status == relay.StatusHeld) {
			at := d.UpdatedAt
			act.LastError, act.LastErrorAt = ed.Reason, &at
		}
		act.Deliveries = append(act.Deliveries, ed)
	}
	s.writeJSON(w, http.StatusOK, act)
}

func (s *Server) mpRetryDelivery(w http.ResponseWriter, r *http.Request, sess marketplace.Session) {
	in, err := s.ownInstall(r, sess)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("delivery"), 10, 64)
	if err != nil || id <= 0 || in.DestinationID == "" || s.deps.Relay == nil {
		s.writeError(w, r, errs.NotFound("delivery %q not found", r.PathValue("delivery")))
		return
	}
	d, err := s.deps.Relay.GetDelivery(r.Context(), id)
	if err != nil || d.DestinationID != in.DestinationID {
		// another install's (or another user's) delivery is not found either
		s.writeError(w, r, errs.NotFound("delivery %q not found", r.PathValue("delivery")))
		return
	}
	if !canRetry(d.Status) {
		s.writeError(w, r, errs.Conflict("delivery %d is %s; only a failed delivery can be retried", id, d.Status))
		return
	}
	if wait, ok := s.mpRetries.allow(r.Context(), in.ID, time.Now()); !ok {
		s.tooMany(w, r, wait, "too many retries for this integration (%d, then one every %g s); retry in %s",
			endUserRetryBurst, 1/float64(endUserRetryRate), waitText(wait))
		return
	}
	nd, err := s.deps.Relay.Replay(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"delivery": endUserDelivery{ID: nd.ID, At: nd.CreatedAt, Records: nd.Records, Status: nd.Status,
		Attempts: nd.Attempts, Reason: plainReason(nd.Status, nd.Reason), CanRetry: canRetry(nd.Status)}})
}
