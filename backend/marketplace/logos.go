package marketplace

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"unicode/utf8"

	"fusebox/backend/errs"
	"fusebox/backend/store"
)

// DefaultMaxLogoBytes caps an uploaded listing logo unless
// Options.MaxLogoBytes says otherwise.
const DefaultMaxLogoBytes = 200 * 1024

// LogoPathPrefix is where stored logos are served; a listing's logo field
// holds LogoPathPrefix + name.
const LogoPathPrefix = "/marketplace/logos/"

// Logo is a stored listing logo.
type Logo struct {
	// URL is the path to put in a listing's logo field.
	URL         string `json:"url"`
	ContentType string `json:"content_type"`
	Size        int    `json:"size"`
}

var logoNameRE = regexp.MustCompile(`^[0-9a-f]{64}\.(png|jpg|webp|svg)$`)

// MaxLogoBytes is the largest logo SaveLogo accepts.
func (s *Service) MaxLogoBytes() int { return s.maxLogo }

// SaveLogo stores an uploaded logo under the hash of its bytes. The type
// is read from the bytes (PNG, JPEG, WebP or SVG); what the uploader
// called the file only names it in errors. An SVG is stored as it came:
// LogoFile's caller serves it where no script in it can run.
func (s *Service) SaveLogo(ctx context.Context, filename string, data []byte) (Logo, error) {
	what := "the file"
	if filename != "" {
		what = filename
	}
	if len(data) == 0 {
		return Logo{}, errs.Invalid("%s is empty", what)
	}
	if len(data) > s.maxLogo {
		return Logo{}, errs.TooLarge("%s is larger than %s; make the image smaller or export it as SVG or WebP", what, sizeText(s.maxLogo))
	}
	ctype, ext := SniffLogo(data)
	if ctype == "" {
		return Logo{}, errs.Invalid("%s is not a PNG, JPEG, WebP or SVG image", what)
	}
	sum := sha256.Sum256(data)
	name := hex.EncodeToString(sum[:]) + "." + ext
	_, err := s.db.Write.ExecContext(ctx, `INSERT INTO marketplace_logos (name, content_type, data, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO NOTHING`, name, ctype, data, store.Now())
	if err != nil {
		return Logo{}, fmt.Errorf("store logo %s: %w", name, err)
	}
	return Logo{URL: LogoPathPrefix + name, ContentType: ctype, Size: len(data)}, nil
}

// LogoFile returns a stored logo by name (<sha256>.<ext>); any other name
// is not found without a lookup.
func (s *Service) LogoFile(ctx context.Context, name string) (contentType string, data []byte, err error) {
	if !logoNameRE.MatchString(name) {
		return "", nil, errs.NotFound("no logo %q", name)
	}
	err = s.db.Read.QueryRowContext(ctx, `SELECT content_type, data FROM marketplace_logos WHERE name = ?`, name).Scan(&contentType, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, errs.NotFound("no logo %q", name)
	}
	if err != nil {
		return "", nil, fmt.Errorf("read logo %s: %w", name, err)
	}
	return contentType, data, nil
}

func sizeText(n int) string {
	if n%1024 == 0 {
		return fmt.Sprintf("%d bytes (%d KB)", n, n/1024)
	}
	return fmt.Sprintf("%d bytes", n)
}

// SniffLogo names the image type of data by its first bytes: the media
// type and file extension, or "" for anything but PNG, JPEG, WebP and SVG.
func SniffLogo(data []byte) (contentType, ext string) {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png", "png"
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return "image/jpeg", "jpg"
	case len(data) >= 12 && bytes.HasPrefix(data, []byte("RIFF")) && string(data[8:12]) == "WEBP":
		return "image/webp", "webp"
	case isSVG(data):
		return "image/svg+xml", "svg"
	}
	return "", ""
}

// isSVG: UTF-8 text whose first element, after an optional byte order
// mark, XML declaration, comments and doctype, is <svg>.
func isSVG(data []byte) bool {
	if !utf8.Valid(data) {
		return false
	}
	rest := bytes.TrimPrefix(data, []byte("\ufeff"))
	for {
		rest = bytes.TrimLeft(rest, " \t\r\n")
		var end []byte
		switch {
		case bytes.HasPrefix(rest, []byte("<?xml")):
			end = []byte("?>")
		case bytes.HasPrefix(rest, []byte("<!--")):
			end = []byte("-->")
		case bytes.HasPrefix(rest, []byte("<!DOCTYPE")):
			end = []byte(">")
		default:
			if !bytes.HasPrefix(rest, []byte("<svg")) || len(rest) < 5 {
				return false
			}
			c := rest[4]
			return c == ' ' || c == '>' || c == '/' || c == '\t' || c == '\r' || c == '\n'
		}
		i := bytes.Index(rest, end)
		if i < 0 {
			return false
		}
		rest = rest[i+len(end):]
	}
}
