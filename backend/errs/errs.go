// Package errs is Fusebox's one error type: a code that says what kind of
// failure happened and a message that says what is wrong, safe to show to
// the caller. The HTTP layer maps codes to status codes in one table.
package errs

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in httpapi.
const (
	EINVALID      = "EINVALID"      // the input is malformed or breaks a rule (422)
	ENOTFOUND     = "ENOTFOUND"     // the thing named does not exist (404)
	EUNAUTHORIZED = "EUNAUTHORIZED" // missing or bad credentials (401)
	EFORBIDDEN    = "EFORBIDDEN"    // credentials are fine but not for this (403)
	ECONFLICT     = "ECONFLICT"     // state does not allow it (409)
	ELIMIT        = "ELIMIT"        // a plan or rate limit stops it (403)
	ETOOLARGE     = "ETOOLARGE"     // the request body or file is too large (413)
	ERATELIMIT    = "ERATELIMIT"    // too many requests from one client; retry later (429)
	EUNAVAILABLE  = "EUNAVAILABLE"  // a dependency is not ready (503)
	EINTERNAL     = "EINTERNAL"     // a bug or an I/O failure (500)
)

// Error is an application error with a code and a user-facing message.
// Err, when set, is the underlying cause; it is logged but never shown.
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an Error with a formatted message.
func E(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap builds an Error that keeps err as its cause.
func Wrap(code string, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

func Invalid(format string, args ...any) error      { return E(EINVALID, format, args...) }
func NotFound(format string, args ...any) error     { return E(ENOTFOUND, format, args...) }
func Unauthorized(format string, args ...any) error { return E(EUNAUTHORIZED, format, args...) }
func Forbidden(format string, args ...any) error    { return E(EFORBIDDEN, format, args...) }
func Conflict(format string, args ...any) error     { return E(ECONFLICT, format, args...) }
func Limit(format string, args ...any) error        { return E(ELIMIT, format, args...) }
func TooLarge(format string, args ...any) error     { return E(ETOOLARGE, format, args...) }
func Unavailable(format string, args ...any) error  { return E(EUNAVAILABLE, format, args...) }
func RateLimit(format string, args ...any) error    { return E(ERATELIMIT, format, args...) }

// Code returns the code of the first *Error in err's chain, or EINTERNAL.
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// Message returns the user-facing message of the first *Error in err's
// chain. Errors that are not *Error are internal; their text is not shown.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// Is reports whether err carries the given code.
func Is(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
