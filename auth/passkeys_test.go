package auth

import (
	"strings"
	"testing"
)

func TestPasskeyRelyingParty(t *testing.T) {
	tests := []struct {
		name, publicURL    string
		wantID, wantOrigin string
		wantErr            string // a substring of the error; "" for none
	}{
		{name: "localhost with port", publicURL: "http://localhost:8080", wantID: "localhost", wantOrigin: "http://localhost:8080"},
		{name: "domain over https", publicURL: "https://Auth.Example.com", wantID: "auth.example.com", wantOrigin: "https://auth.example.com"},
		{name: "IPv4 address", publicURL: "http://127.0.0.1:8080", wantErr: "not the IP address 127.0.0.1"},
		{name: "IPv6 address", publicURL: "http://[::1]:8080", wantErr: "not the IP address ::1"},
		{name: "empty", publicURL: "", wantErr: "absolute http(s) URL"},
		{name: "not http", publicURL: "ftp://example.com", wantErr: "absolute http(s) URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, origin, err := PasskeyRelyingParty(tc.publicURL)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if id != tc.wantID || origin != tc.wantOrigin {
				t.Fatalf("got (%q, %q), want (%q, %q)", id, origin, tc.wantID, tc.wantOrigin)
			}
		})
	}
}

func TestPasskeyName(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "empty gets the default", in: "  ", want: defaultPasskeyName},
		{name: "trimmed", in: " laptop ", want: "laptop"},
		{name: "too long", in: strings.Repeat("x", maxPasskeyNameLen+1), wantErr: true},
		{name: "control character", in: "a\x00b", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := passkeyName(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("passkeyName(%q) = %q, %v", tc.in, got, err)
			}
		})
	}
}
