package auth

// APIResources returns the resource names the operator configured for scopes
// (GATEHOUSE_API_RESOURCES), in their configured order: what a form offers as
// "resource:read" and "resource:write" choices. The slice is a copy.
func (s *Service) APIResources() []string {
	return append([]string(nil), s.cfg.APIResources...)
}
