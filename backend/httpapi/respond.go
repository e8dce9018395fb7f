package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"fusebox/backend/errs"
)

// statusOf is the one table that maps error codes to HTTP statuses.
var statusOf = map[string]int{
	errs.EINVALID:      http.StatusUnprocessableEntity,
	errs.ENOTFOUND:     http.StatusNotFound,
	errs.EUNAUTHORIZED: http.StatusUnauthorized,
	errs.EFORBIDDEN:    http.StatusForbidden,
	errs.ECONFLICT:     http.StatusConflict,
	errs.ELIMIT:        http.StatusForbidden,
	errs.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	errs.ERATELIMIT:    http.StatusTooManyRequests,
	errs.EUNAVAILABLE:  http.StatusServiceUnavailable,
	errs.EINTERNAL:     http.StatusInternalServerError,
}

// StatusOf returns the HTTP status for an error's code.
func StatusOf(err error) int {
	if st, ok := statusOf[errs.Code(err)]; ok {
		return st
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeJSON writes v as JSON with the given status.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		s.log.Debug("write response", "err", err)
	}
}

// writeError writes err in the one JSON error shape. Internal errors are
// logged with their cause and shown only as "internal error".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := StatusOf(err)
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var body errorBody
	body.Error.Code = errs.Code(err)
	body.Error.Message = errs.Message(err)
	s.writeJSON(w, status, body)
}

// decodeJSON reads a JSON body of at most maxBytes into v. It answers
// with ETOOLARGE for a body over the limit and EINVALID for an empty or
// malformed body, naming what is wrong.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, maxBytes int64) error {
	body := http.MaxBytesReader(w, r.Body, maxBytes)
	dec := json.NewDecoder(body)
	dec.UseNumber()
	err := dec.Decode(v)
	var maxErr *http.MaxBytesError
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
	case errors.As(err, &maxErr):
		return errs.TooLarge("request body is larger than the limit of %d bytes", maxBytes)
	case errors.Is(err, io.EOF):
		return errs.Invalid("request body is empty; expected a JSON object")
	case errors.As(err, &syntaxErr):
		return errs.Invalid("request body is not valid JSON (at byte %d): %s", syntaxErr.Offset, syntaxErr.Error())
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return errs.Invalid("request body must be a JSON %s, not %s", jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
		}
		return errs.Invalid("field %q must be %s, not %s", field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.Invalid("request body is truncated JSON")
	default:
		return errs.Invalid("request body is not valid JSON: %v", err)
	}
	if dec.More() {
		return errs.Invalid("request body has data after the JSON value")
	}
	return nil
}

func jsonKind(goKind string) string {
	switch {
	case goKind == "struct" || goKind == "map":
		return "an object"
	case goKind == "slice" || goKind == "array":
		return "an array"
	case goKind == "string":
		return "a string"
	case goKind == "bool":
		return "a boolean"
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "uint"), strings.HasPrefix(goKind, "float"):
		return "a number"
	}
	return fmt.Sprintf("of type %s", goKind)
}

// logAttrs are attributes for a request log line: never the query string,
// which may carry tokens (?jwt=, ?code=).
func logAttrs(r *http.Request) []any {
	return []any{slog.String("method", r.Method), slog.String("path", r.URL.Path)}
}

// outcome is a service call's value and error, for respond.
type outcome struct {
	v   any
	err error
}

// result packs a service call's two results so a handler can answer in
// one line: s.respond(w, r, result(s.deps.X.Get(ctx, id))).
func result[T any](v T, err error) outcome { return outcome{v: v, err: err} }

// respond writes a call's value as 200 JSON, or its error in the one error
// shape.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, o outcome) {
	if o.err != nil {
		s.writeError(w, r, o.err)
		return
	}
	s.writeJSON(w, http.StatusOK, o.v)
}
