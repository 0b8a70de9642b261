package auth

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"

	"patuh/internal/apperr"
)

// MinPasswordLength follows NIST SP 800-63B and ASVS V6.2.1: length, not composition rules,
// counted in characters (a password of Javanese script is not longer than its letters).
const MinPasswordLength = 12

// minPasswordScore is zxcvbn's "safely unguessable" (about 10^8 guesses and more): its
// dictionaries, shipped in the binary, hold the common passwords, names and words that the
// lists of leaked passwords start with, and their l33t and keyboard variants (ASVS V6.2.4).
const minPasswordScore = 3

// CheckPassword is the one password policy: every path that sets a password (the user's own
// change, the admin's user pages, `patuh user add`, the seed) calls it. The error carries
// the i18n message id of the reason under the field "password".
func CheckPassword(username, password string) error {
	reason := ""
	username = strings.ToLower(strings.TrimSpace(username))
	switch {
	case !utf8.ValidString(password):
		reason = "user.password_common"
	case utf8.RuneCountInString(password) < MinPasswordLength:
		reason = "user.password_short"
	case strings.TrimFunc(password, unicode.IsSpace) == "":
		reason = "user.password_common"
	case len(username) >= 3 && strings.Contains(strings.ToLower(password), username):
		reason = "user.password_username"
	case zxcvbn.PasswordStrength(password, []string{username, "patuh", "disnaker", "bpjs", "jakarta"}).Score < minPasswordScore:
		reason = "user.password_common"
	}
	if reason != "" {
		return apperr.Fields(map[string]string{"password": reason})
	}
	return nil
}
