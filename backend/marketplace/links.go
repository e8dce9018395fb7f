package marketplace

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"fusebox/backend/errs"
	"fusebox/backend/ids"
)

// LinkRequest asks for a signed link, as a host app's backend would build
// it (the console's link builder and the demo use it).
type LinkRequest struct {
	// SecretID picks the API secret to sign with; empty: the newest active.
	SecretID   string         `json:"secret_id"`
	ExternalID string         `json:"external_id"`
	Firstname  string         `json:"firstname"`
	Lastname   string         `json:"lastname"`
	Email      string         `json:"email"`
	Plan       string         `json:"plan"`
	Connection map[string]any `json:"connection"`
	// ListingID links to a listing page instead of the catalog.
	ListingID string `json:"listing_id"`
	// TTL is the token lifetime, e.g. "1h" (default); at most the max.
	TTL string `json:"ttl"`
	// JTI adds a random jti, so the link works once.
	JTI bool `json:"jti"`
	// NoKID leaves out the kid header, as the seed's example does.
	NoKID bool `json:"no_kid"`
	// Origin is the host page origin, passed as ?origin= (optional).
	Origin string `json:"origin"`
	// BaseURL is this Fusebox's URL, e.g. http://127.0.0.1:8787.
	BaseURL string `json:"-"`
}

// Link is a signed link.
type Link struct {
	Token     string         `json:"token"`
	URL       string         `json:"url"`
	ExpiresAt string         `json:"expires_at"`
	SecretID  string         `json:"secret_id"`
	Claims    map[string]any `json:"claims"`
}

// SignLink signs a token for req with one of this marketplace's secrets.
func (s *Service) SignLink(ctx context.Context, req LinkRequest) (Link, error) {
	var k key
	var err error
	if req.SecretID != "" {
		k, err = s.activeKey(ctx, req.SecretID)
	} else {
		var active []key
		active, _, err = s.keys(ctx, false)
		if err == nil && len(active) == 0 {
			err = errs.Conflict("there is no active API secret; create one first")
		}
		if err == nil {
			k = active[len(active)-1]
		}
	}
	if err != nil {
		return Link{}, err
	}
	return s.sign(ctx, k, req)
}

func (s *Service) sign(ctx context.Context, k key, req LinkRequest) (Link, error) {
	st, err := s.Settings(ctx)
	if err != nil {
		return Link{}, err
	}
	if strings.TrimSpace(req.ExternalID) == "" {
		return Link{}, errs.Invalid("external_id: required (the end user's id in your app)")
	}
	ttl := time.Hour
	if req.TTL != "" {
		if ttl, err = time.ParseDuration(req.TTL); err != nil || ttl <= 0 {
			return Link{}, errs.Invalid("ttl: %q is not a positive duration such as 15m or 1h", req.TTL)
		}
	}
	if ttl > st.MaxLifetime() {
		return Link{}, errs.Invalid("ttl: %s is longer than this marketplace's token_max_lifetime of %s", ttl, st.MaxLifetime())
	}
	if req.ListingID != "" {
		if _, err := s.Listing(ctx, req.ListingID); err != nil {
			return Link{}, err
		}
	}
	origin := ""
	if req.Origin != "" {
		if origin, err = normalizeOrigin(req.Origin); err != nil {
			return Link{}, errs.Invalid("origin: %s", errs.Message(err))
		}
	}
	now := s.now().Truncate(time.Second)
	user := map[string]any{"externalId": req.ExternalID}
	for k, v := range map[string]string{"firstname": req.Firstname, "lastname": req.Lastname, "email": req.Email, "monetizationPlan": req.Plan} {
		if v != "" {
			user[k] = v
		}
	}
	claims := jwt.MapClaims{"iat": now.Unix(), "exp": now.Add(ttl).Unix(), "nbf": now.Unix(), "orgId": st.OrgID, "user": user}
	if len(req.Connection) > 0 {
		claims["connection"] = req.Connection
	}
	if req.JTI {
		claims["jti"] = ids.New("jti_")
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	if !req.NoKID {
		t.Header["kid"] = k.id
	}
	signed, err := t.SignedString(k.secret)
	if err != nil {
		return Link{}, err
	}
	path := "/marketplace"
	if req.ListingID != "" {
		path += "/listing/" + url.PathEscape(req.ListingID)
	}
	q := url.Values{"jwt": {signed}}
	if origin != "" {
		q.Set("origin", origin)
	}
	return Link{Token: signed, URL: strings.TrimRight(req.BaseURL, "/") + path + "?" + q.Encode(),
		ExpiresAt: now.Add(ttl).UTC().Format(time.RFC3339), SecretID: k.id, Claims: claims}, nil
}

// DemoUser is the end user the demo app signs links for, by default.
func DemoUser() LinkRequest {
	return LinkRequest{ExternalID: "123", Firstname: "Dana", Lastname: "Demo", Email: "dana@demo.example"}
}

var demoUserIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,64}$`)

// DemoLinkRequest is what the demo app asks DemoLink for.
type DemoLinkRequest struct {
	// BaseURL is this server's own URL (never taken from a request).
	BaseURL string
	// OrgID is the demo workspace's org id: DemoLink refuses to sign for
	// any other org.
	OrgID     string
	UserID    string
	Plan      string
	ListingID string
}

// DemoSecretLabel labels the secret the demo app signs its links with.
const DemoSecretLabel = "demo"

// DemoLink signs a link for the demo app's user (UserID is the demo app's
// user id, the externalId that its imports carry as metadata user_id) with
// the secret labelled "demo". It works only in a data dir that holds the
// demo workspace, only while the marketplace's org id is still the demo's,
// and only with an active "demo" secret: the secret is created on first
// use, but one a person deactivated is never re-created.
func (s *Service) DemoLink(ctx context.Context, dr DemoLinkRequest) (Link, error) {
	v, ok, err := s.db.Setting(ctx, "workspace.demo")
	if err != nil {
		return Link{}, err
	}
	if !ok || v != "true" {
		return Link{}, errs.NotFound("the demo workspace is not in force in this data dir (it was started with --no-demo, or a workspace of your own was applied)")
	}
	st, err := s.Settings(ctx)
	if err != nil {
		return Link{}, err
	}
	if dr.OrgID == "" || st.OrgID != dr.OrgID {
		return Link{}, errs.Forbidden("the demo app signs links only for the demo workspace's org %q, and this marketplace's org id is %q", dr.OrgID, st.OrgID)
	}
	req := DemoUser()
	if dr.UserID != "" {
		if !demoUserIDPattern.MatchString(dr.UserID) {
			return Link{}, errs.Invalid("user_id: %q is not a demo user id (letters, digits, _ . @ -; at most 64)", dr.UserID)
		}
		req.ExternalID = dr.UserID
	}
	k, err := s.demoSecret(ctx)
	if err != nil {
		return Link{}, err
	}
	req.Plan, req.ListingID, req.BaseURL, req.TTL = dr.Plan, dr.ListingID, dr.BaseURL, "1h"
	req.Connection = map[string]any{"connectionName": "Dana's CRM", "connectorId": "crm-v1", "api_key": "demo-crm-key-123"}
	return s.sign(ctx, k, req)
}
