package gatehouse

// ValidateUsername checks the username rule of the contract: 2 to 24 characters, each an ASCII
// letter, digit, '_' or '-'. (ASCII only, so that look-alike letters from other scripts cannot
// impersonate an account.)
func ValidateUsername(name string) error {
	if len(name) < 2 || len(name) > 24 {
		return Errorf(CodeUsernameInvalid, "A username has 2 to 24 characters.")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return Errorf(CodeUsernameInvalid, "A username may contain only letters, digits, '_' and '-'.")
		}
	}
	return nil
}
