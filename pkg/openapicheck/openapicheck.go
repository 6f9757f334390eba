// Package openapicheck checks HTTP exchanges (a request and the answer it got) against an OpenAPI
// document, so that tests fail when the handlers and docs/openapi.yaml disagree. It uses kin-openapi's
// openapi3filter: the operation is found by method and path, then the request (parameters, body) and
// the response (status, headers, content type, body schema) are validated.
package openapicheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// ErrUndocumented is an exchange whose method and path the document has no operation for.
var ErrUndocumented = errors.New("undocumented endpoint")

// Document is a loaded and validated OpenAPI document, ready to check exchanges against.
// It is safe for concurrent use.
type Document struct {
	doc    *openapi3.T
	router routers.Router
}

// Load reads, validates and compiles the OpenAPI document at path.
func Load(path string) (*Document, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("openapicheck: %w", err)
	}
	return Parse(raw)
}

// Livslang's CSV files are semicolon-separated (as Danish spreadsheets read them) and documented as
// strings: the body is the text as it is, not comma-separated records. A verifiable credential as a compact JWT (application/vc+jwt) is a string too.
func init() {
	openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/vc+jwt", openapi3filter.PlainBodyDecoder)
}

// Parse validates and compiles an OpenAPI document (YAML or JSON).
func Parse(raw []byte) (*Document, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("openapicheck: load: %w", err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("openapicheck: the document is not valid OpenAPI: %w", err)
	}
	if err := addEveryOperationResponses(doc); err != nil {
		return nil, err
	}
	// Tests run the services on ports of their own: operations are found by method and path alone,
	// whatever server the document names for them.
	doc.Servers = nil
	for _, item := range doc.Paths.Map() {
		item.Servers = nil
		for _, op := range item.Operations() {
			op.Servers = nil
		}
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("openapicheck: routes: %w", err)
	}
	return &Document{doc: doc, router: router}, nil
}

// EveryOperationResponses is the document's extension that names, by status, the responses any
// operation may give (a refused token, a rate limit, an unavailable database) as references to
// components/responses: each operation that does not document the status gets it.
const EveryOperationResponses = "x-every-operation-responses"

func addEveryOperationResponses(doc *openapi3.T) error {
	raw, ok := doc.Extensions[EveryOperationResponses].(map[string]any)
	if !ok {
		return nil
	}
	for status, v := range raw {
		ref, _ := v.(map[string]any)["$ref"].(string)
		name, found := strings.CutPrefix(ref, "#/components/responses/")
		var resp *openapi3.ResponseRef
		if doc.Components != nil {
			resp = doc.Components.Responses[name]
		}
		if !found || resp == nil {
			return fmt.Errorf("openapicheck: %s: %s: %q is not a response of components/responses", EveryOperationResponses, status, ref)
		}
		for _, item := range doc.Paths.Map() {
			for _, op := range item.Operations() {
				if op.Responses == nil {
					op.Responses = openapi3.NewResponses()
				}
				if op.Responses.Value(status) == nil {
					op.Responses.Set(status, resp)
				}
			}
		}
	}
	return nil
}

// FindModuleFile returns the path of name (such as docs/openapi.yaml) in the nearest directory at or
// above dir that holds go.work (the repository's root), wherever the repository was cloned.
func FindModuleFile(dir, name string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("openapicheck: %w", err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			p := filepath.Join(d, name)
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("openapicheck: %w", err)
			}
			return p, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("openapicheck: no go.work at or above %s", dir)
		}
	}
}

// Exchange is one request, as sent, and the answer it got.
type Exchange struct {
	Method      string
	URL         string // absolute, with the query
	Header      http.Header
	RequestBody []byte

	Status         int
	ResponseHeader http.Header
	ResponseBody   []byte
}

// Operation returns the document's operation for method and the URL's path ("GET /v1/courses/{id}",
// and its operationId), or ErrUndocumented.
func (d *Document) Operation(method, url string) (string, string, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return "", "", fmt.Errorf("openapicheck: %w", err)
	}
	route, _, err := d.router.FindRoute(req)
	if err != nil {
		return "", "", undocumented(req, err)
	}
	return method + " " + route.Path, route.Operation.OperationID, nil
}

func undocumented(req *http.Request, err error) error {
	if errors.Is(err, routers.ErrPathNotFound) || errors.Is(err, routers.ErrMethodNotAllowed) {
		return fmt.Errorf("%w: %s %s: %v", ErrUndocumented, req.Method, req.URL.Path, err)
	}
	return fmt.Errorf("openapicheck: %s %s: %w", req.Method, req.URL.Path, err)
}

// Check validates the exchange against the document. The request is checked only when the service
// accepted it (a status below 400): a test may send a request the document forbids on purpose to see
// it refused. The response is always checked: its status must be documented for the operation, and
// its content type, headers and body must match what the document says of that status.
func (d *Document) Check(x Exchange) error {
	req, err := http.NewRequestWithContext(context.Background(), x.Method, x.URL, bytes.NewReader(x.RequestBody))
	if err != nil {
		return fmt.Errorf("openapicheck: %w", err)
	}
	req.Header = x.Header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	route, params, err := d.router.FindRoute(req)
	if err != nil {
		return undocumented(req, err)
	}
	op := x.Method + " " + route.Path
	if id := route.Operation.OperationID; id != "" {
		op += " (" + id + ")"
	}
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, // the services check tokens
			MultiError:         true,
		},
	}
	if x.Status < 400 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			return fmt.Errorf("%s: the request was answered %d but does not match the document: %s",
				op, x.Status, describe(err))
		}
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 x.Status,
		Header:                 x.ResponseHeader,
		Body:                   io.NopCloser(bytes.NewReader(x.ResponseBody)),
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true, // an undocumented status fails
			MultiError:            true,
		},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return fmt.Errorf("%s: response %d (%s) does not match the document: %s\nbody: %s",
			op, x.Status, x.ResponseHeader.Get("Content-Type"), describe(err), clip(x.ResponseBody))
	}
	if err := d.checkUndocumentedBody(route, x); err != nil {
		return fmt.Errorf("%s: response %d: %w\nbody: %s", op, x.Status, err, clip(x.ResponseBody))
	}
	return nil
}

// checkUndocumentedBody fails a response with a body where the document says the status has none:
// openapi3filter lets any body through there.
func (d *Document) checkUndocumentedBody(route *routers.Route, x Exchange) error {
	if len(x.ResponseBody) == 0 || x.Method == http.MethodHead {
		return nil
	}
	ref := route.Operation.Responses.Status(x.Status)
	if ref == nil {
		ref = route.Operation.Responses.Default()
	}
	if ref == nil || ref.Value == nil || len(ref.Value.Content) > 0 {
		return nil
	}
	return fmt.Errorf("a %s body where the document says the status has no content", x.ResponseHeader.Get("Content-Type"))
}

// describe flattens openapi3filter's errors (a MultiError of request, response and schema errors)
// into one line per mismatch.
func describe(err error) string {
	var lines []string
	var walk func(prefix string, err error)
	walk = func(prefix string, err error) {
		var multi openapi3.MultiError
		if errors.As(err, &multi) {
			for _, e := range multi {
				walk(prefix, e)
			}
			return
		}
		var reqErr *openapi3filter.RequestError
		var respErr *openapi3filter.ResponseError
		var schemaErr *openapi3.SchemaError
		switch {
		case errors.As(err, &reqErr) && reqErr.Err != nil:
			where := "request body"
			if reqErr.Parameter != nil {
				where = fmt.Sprintf("%s parameter %q", reqErr.Parameter.In, reqErr.Parameter.Name)
			}
			if reqErr.Reason != "" {
				where += " (" + reqErr.Reason + ")"
			}
			walk(prefix+where+": ", reqErr.Err)
		case errors.As(err, &respErr) && respErr.Err != nil:
			where := "response body"
			if respErr.Reason != "" {
				where = respErr.Reason
			}
			walk(prefix+where+": ", respErr.Err)
		case errors.As(err, &schemaErr):
			where := "/"
			if p := schemaErr.JSONPointer(); len(p) > 0 {
				where = "/" + strings.Join(p, "/")
			}
			lines = append(lines, prefix+where+": "+schemaErr.Reason)
		default:
			lines = append(lines, prefix+err.Error())
		}
	}
	walk("", err)
	if len(lines) == 1 {
		return lines[0]
	}
	return "\n  - " + strings.Join(lines, "\n  - ")
}

func clip(b []byte) string {
	const most = 1500
	if len(b) > most {
		return string(b[:most]) + "…"
	}
	return string(b)
}
