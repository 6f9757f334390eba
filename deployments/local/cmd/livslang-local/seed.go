package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"livslang.dk/pkg/apiclient"
	"livslang.dk/pkg/auth"
)

//go:embed demo-users.json
var demoUsersJSON []byte

type demoUser struct {
	Key           string          `json:"key"`
	Role          string          `json:"role"`
	Sub           string          `json:"sub"`
	CPR           string          `json:"cpr"`
	InstitutionID string          `json:"institution_id"`
	Municipality  string          `json:"municipality"`
	CVR           string          `json:"cvr"`
	Name          string          `json:"name"`
	Label         string          `json:"label"`
	Profile       json.RawMessage `json:"profile"`
}

func demoUsers() ([]demoUser, error) {
	var f struct {
		Users []demoUser `json:"users"`
	}
	if err := json.Unmarshal(demoUsersJSON, &f); err != nil {
		return nil, fmt.Errorf("read demo users: %w", err)
	}
	return f.Users, nil
}

// offerDemoUsers lists the demo users on the identity provider's sign-in page (GET /authorize), so
// the portal's sign-in offers them; a citizen is named as in their profile.
func offerDemoUsers(idp *auth.DevIssuer) error {
	users, err := demoUsers()
	if err != nil {
		return err
	}
	var offered []auth.DemoUser
	for _, u := range users {
		p := struct {
			Name string `json:"name"`
		}{Name: u.Name}
		_ = json.Unmarshal(u.Profile, &p)
		offered = append(offered, auth.DemoUser{Key: u.Key, Label: u.Label, TokenRequest: auth.TokenRequest{
			Role: u.Role, Sub: u.Sub, CPR: u.CPR, InstitutionID: u.InstitutionID, Municipality: u.Municipality, CVR: u.CVR, Name: p.Name}})
	}
	idp.SetUsers(offered)
	return nil
}

func (u demoUser) token(idp *auth.DevIssuer) (string, error) {
	return idp.Issue(auth.Claims{Subject: u.Sub, Role: u.Role, CPR: u.CPR, InstitutionID: u.InstitutionID, Municipality: u.Municipality, CVR: u.CVR, Name: u.Name})
}

// seedProfiles gives each demo citizen their profile through registration's API, once: a citizen
// who already has a profile is left as they are. It returns how many profiles it created.
func seedProfiles(ctx context.Context, idp *auth.DevIssuer, registration string) (int, error) {
	users, err := demoUsers()
	if err != nil {
		return 0, err
	}
	client := &http.Client{Timeout: 10 * time.Second}
	created := 0
	for _, u := range users {
		if u.Role != auth.RoleCitizen || len(u.Profile) == 0 {
			continue
		}
		tok, err := u.token(idp)
		if err != nil {
			return created, err
		}
		req, err := apiclient.NewRequest(ctx, http.MethodGet, registration+"/v1/me/profile", tok, nil)
		if err != nil {
			return created, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return created, err
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			continue
		}
		if req, err = apiclient.NewRequest(ctx, http.MethodPut, registration+"/v1/me/profile", tok, u.Profile); err != nil {
			return created, err
		}
		resp, err = client.Do(req)
		if err != nil {
			return created, err
		}
		var body bytes.Buffer
		_, _ = body.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return created, fmt.Errorf("profile of %s: %s: %s", u.Key, resp.Status, body.String())
		}
		created++
	}
	return created, nil
}
