package httpapi

import (
	"strings"

	"github.com/gatehouse-auth/gatehouse/web"
)

// oidcScopeTexts describe the OpenID Connect scopes.
var oidcScopeTexts = map[string]string{
	"openid":         "Know who you are (sign you in with your Gatehouse account)",
	"profile":        "See your profile: username, display name and picture",
	"email":          "See your email address",
	"offline_access": "Keep access when you are not using it, until you revoke it",
}

// scopeViews describes scopes for people, in the order given.
func scopeViews(scopes []string) []web.ScopeView {
	out := make([]web.ScopeView, 0, len(scopes))
	for _, sc := range scopes {
		out = append(out, web.ScopeView{Name: sc, Text: scopeText(sc)})
	}
	return out
}

func scopeText(sc string) string {
	if t, ok := oidcScopeTexts[sc]; ok {
		return t
	}
	res, action, ok := strings.Cut(sc, ":")
	switch {
	case !ok:
	case res == "*" && action == "read":
		return "Read all your data"
	case res == "*" && action == "write":
		return "Create, change and delete all your data"
	case action == "read":
		return "Read your " + res
	case action == "write":
		return "Create, change and delete your " + res
	}
	return "Use the permission “" + sc + "”"
}
