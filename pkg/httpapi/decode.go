package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"livslang.dk/pkg/fault"
)

// MaxBody is the largest request body accepted.
const MaxBody = 64 << 10

// DecodeJSON reads the body into v strictly: JSON only, unknown fields refused, one value, at most MaxBody.
// A body sent as application/x-www-form-urlencoded (curl -d without a Content-Type) is read as JSON too;
// any other non-JSON media type is refused.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json") && mt != "application/x-www-form-urlencoded") {
			return fault.Newf(fault.Unsupported, "the content type %q is not JSON; send application/json", ct)
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return &ValidationError{Fields: []FieldError{{Field: "body", Message: "must hold exactly one JSON value"}}}
	}
	return nil
}

// DecodeOptionalJSON is DecodeJSON for an optional body: an empty body leaves v as it is.
func DecodeOptionalJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		return decodeError(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return DecodeJSON(w, r, v)
}

func decodeError(err error) error {
	var (
		syntax  *json.SyntaxError
		typ     *json.UnmarshalTypeError
		tooBig  *http.MaxBytesError
		invalid = &ValidationError{}
	)
	switch {
	case errors.As(err, &syntax):
		invalid.Add("body", "malformed JSON at byte %d", syntax.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		invalid.Add("body", "empty or truncated JSON")
	case errors.As(err, &typ):
		invalid.Add(typ.Field, "must be a %s", typ.Type.String())
	case errors.As(err, &tooBig):
		invalid.Add("body", "larger than %d bytes", tooBig.Limit)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		invalid.Add(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "unknown field")
	default:
		invalid.Add("body", "cannot be read as JSON") // the decoder's words are not for callers
	}
	return invalid
}
