package openapicheck_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"livslang.dk/pkg/openapicheck"
)

const document = `
openapi: 3.1.0
info: {title: test, version: '1'}
servers: [{url: 'http://127.0.0.1:8081'}]
paths:
  /v1/things/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: string, format: uuid}}
    get:
      operationId: getThing
      responses:
        '200':
          description: The thing.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
        '204': {description: Nothing to say.}
        '404':
          description: No such thing.
          content:
            application/problem+json:
              schema: {$ref: '#/components/schemas/Problem'}
  /v1/things:
    post:
      operationId: addThing
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Thing'}
      responses:
        '201':
          description: Added.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
        '400':
          description: Invalid.
          content:
            application/problem+json:
              schema: {$ref: '#/components/schemas/Problem'}
components:
  schemas:
    Thing:
      type: object
      required: [id, name]
      properties:
        id: {type: string}
        name: {type: string}
        count: {type: integer}
        colour: {type: string, enum: [red, green]}
    Problem:
      type: object
      required: [type, title, status]
      properties:
        type: {type: string}
        title: {type: string}
        status: {type: integer}
        detail: {type: string}
`

const thingURL = "http://127.0.0.1:40123/v1/things/4f0b2f6e-5a55-4c43-9c55-6a3a4d0e4a10"

func load(t *testing.T) *openapicheck.Document {
	t.Helper()
	doc, err := openapicheck.Parse([]byte(document))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func answer(method, url string, status int, contentType, body string) openapicheck.Exchange {
	return openapicheck.Exchange{Method: method, URL: url, Header: http.Header{},
		Status: status, ResponseHeader: http.Header{"Content-Type": {contentType}}, ResponseBody: []byte(body)}
}

func TestResponsesThatMatchPass(t *testing.T) {
	doc := load(t)
	for name, x := range map[string]openapicheck.Exchange{
		"json":     answer(http.MethodGet, thingURL, 200, "application/json", `{"id":"a","name":"b","count":3}`),
		"charset":  answer(http.MethodGet, thingURL, 200, "application/json; charset=utf-8", `{"id":"a","name":"b"}`),
		"problem":  answer(http.MethodGet, thingURL, 404, "application/problem+json", `{"type":"about:blank","title":"Not found","status":404}`),
		"no body":  answer(http.MethodGet, thingURL, 204, "", ""),
		"any port": answer(http.MethodGet, "http://localhost:1/v1/things/4f0b2f6e-5a55-4c43-9c55-6a3a4d0e4a10", 204, "", ""),
	} {
		if err := doc.Check(x); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestWrongResponsesAreCaught(t *testing.T) {
	doc := load(t)
	for name, c := range map[string]struct {
		x    openapicheck.Exchange
		want string // in the message
	}{
		"missing required field": {answer(http.MethodGet, thingURL, 200, "application/json", `{"id":"a"}`), "name"},
		"wrong type":             {answer(http.MethodGet, thingURL, 200, "application/json", `{"id":"a","name":"b","count":"three"}`), "count"},
		"value not in enum":      {answer(http.MethodGet, thingURL, 200, "application/json", `{"id":"a","name":"b","colour":"blue"}`), "colour"},
		"undocumented status":    {answer(http.MethodGet, thingURL, 409, "application/problem+json", `{"type":"about:blank","title":"Conflict","status":409}`), "response 409"},
		"wrong content type":     {answer(http.MethodGet, thingURL, 200, "text/plain", `hello`), "text/plain"},
		"problem as plain json":  {answer(http.MethodGet, thingURL, 404, "application/json", `{"type":"about:blank","title":"Not found","status":404}`), "application/json"},
		"problem without title":  {answer(http.MethodGet, thingURL, 404, "application/problem+json", `{"type":"about:blank","status":404}`), "title"},
		"undocumented body":      {answer(http.MethodGet, thingURL, 204, "application/json", `{"id":"a"}`), "no content"},
		"not json":               {answer(http.MethodGet, thingURL, 200, "application/json", `{"id":`), "GET /v1/things/{id} (getThing)"},
	} {
		err := doc.Check(c.x)
		if err == nil {
			t.Errorf("%s: passed", name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "getThing") {
			t.Errorf("%s: the message does not name %q and the operation: %v", name, c.want, err)
		}
	}
}

func TestRequestsAreCheckedWhenAccepted(t *testing.T) {
	doc := load(t)
	post := func(body string, status int, respBody string) openapicheck.Exchange {
		x := answer(http.MethodPost, "http://127.0.0.1:40123/v1/things", status, "application/json", respBody)
		if status >= 400 {
			x.ResponseHeader.Set("Content-Type", "application/problem+json")
		}
		x.Header.Set("Content-Type", "application/json")
		x.RequestBody = []byte(body)
		return x
	}
	if err := doc.Check(post(`{"id":"a","name":"b"}`, 201, `{"id":"a","name":"b"}`)); err != nil {
		t.Errorf("a valid request: %v", err)
	}
	// A test may send what the document forbids to see it refused.
	if err := doc.Check(post(`{"id":"a"}`, 400, `{"type":"about:blank","title":"Invalid","status":400}`)); err != nil {
		t.Errorf("an invalid request refused: %v", err)
	}
	err := doc.Check(post(`{"id":"a"}`, 201, `{"id":"a","name":"b"}`))
	if err == nil || !strings.Contains(err.Error(), "request") || !strings.Contains(err.Error(), "name") {
		t.Errorf("an invalid request accepted: %v", err)
	}
}

func TestUndocumentedEndpoints(t *testing.T) {
	doc := load(t)
	for _, x := range []openapicheck.Exchange{
		answer(http.MethodGet, "http://127.0.0.1:1/v1/other", 200, "application/json", `{}`),
		answer(http.MethodDelete, thingURL, 204, "", ""),
	} {
		if err := doc.Check(x); !errors.Is(err, openapicheck.ErrUndocumented) {
			t.Errorf("%s %s: %v, want ErrUndocumented", x.Method, x.URL, err)
		}
	}
	op, id, err := doc.Operation(http.MethodGet, thingURL+"?x=1")
	if err != nil || op != "GET /v1/things/{id}" || id != "getThing" {
		t.Errorf("Operation: %q %q %v", op, id, err)
	}
}

// The repository's own document loads, is valid OpenAPI and compiles.
func TestTheRepositoryDocumentLoads(t *testing.T) {
	path, err := openapicheck.FindModuleFile(".", "docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openapicheck.Load(path); err != nil {
		t.Fatal(err)
	}
}
