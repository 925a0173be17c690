package httpapi

import (
	"net/http"

	"github.com/gatehouse-auth/gatehouse/authz"
)

// Route is one registered endpoint: its ServeMux pattern and the permission it declares.
type Route struct {
	Pattern    string
	Permission authz.Permission
}

// router registers every endpoint of the server, each with its permission: no route reaches the
// mux without one (TestEveryRouteDeclaresAPermission walks the table and the source).
type router struct {
	s     *Server
	mux   *http.ServeMux
	table []Route
}

func (rt *router) add(pattern string, perm authz.Permission, h http.Handler) {
	rt.table = append(rt.table, Route{Pattern: pattern, Permission: perm})
	rt.mux.Handle(pattern, h)
}

// authed registers an endpoint of Gatehouse's own API: it runs only for a credential whose grant
// satisfies perm (Server.authed).
func (rt *router) authed(pattern string, perm authz.Permission, h authedHandler) {
	rt.add(pattern, perm, rt.s.authed(perm, h))
}

// public registers an endpoint that needs no credential from the authorization layer: it signs
// people in, or authenticates its caller as its protocol says (authz.Public).
func (rt *router) public(pattern string, h http.HandlerFunc) { rt.add(pattern, authz.Public, h) }

// publicHandler is public for an http.Handler.
func (rt *router) publicHandler(pattern string, h http.Handler) { rt.add(pattern, authz.Public, h) }

// page registers a browser page: it reads the session cookie itself (pagePrincipal) and its
// forms are protected by CrossOrigin (authz.Page).
func (rt *router) page(pattern string, h http.HandlerFunc) { rt.add(pattern, authz.Page, h) }

// pageHandler is page for an http.Handler.
func (rt *router) pageHandler(pattern string, h http.Handler) { rt.add(pattern, authz.Page, h) }

// Routes lists the endpoints Handler registered, with their permissions, in registration order
// (nil before Handler is called).
func (s *Server) Routes() []Route { return append([]Route(nil), s.routeTable...) }
